// Small pieces the query-frontend's handlers share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http_server.h"

namespace strata::frontend {

// Prometheus's 400 bad_data error answer.
server::HttpResponse BadData(const std::string& msg);
// A time or duration in seconds as the API takes it: "1700000000.5", "15".
std::string Seconds(int64_t ms);
// An answer's sample time (seconds, as JSON gives it) in milliseconds, or nullopt when it is out
// of int64 milliseconds' range (damaged input must not overflow).
std::optional<int64_t> AnswerTimeMs(double seconds);
// name=value&... (percent-encoded), in order.
std::string EncodeParams(const std::vector<std::pair<std::string, std::string>>& params);
// The cache's name for a key: FNV-1a 64 in hex, as Thanos's frontend hashes its keys.
std::string HashKey(std::string_view key);
// A cache entry: the unhashed key (so that two keys with one hash never share an answer) and
// the payload, snappy-compressed when asked (--cache-compression-type=snappy). OpenEntry gives
// the payload (a view into entry, or into *scratch when it had to be decompressed), or nullopt
// when the entry is another key's or malformed.
std::string SealEntry(std::string_view key, std::string_view payload, bool snappy);
std::optional<std::string_view> OpenEntry(std::string_view key, std::string_view entry, bool snappy,
                                          std::string* scratch);
// ,"warnings":[...] when there are any.
void AppendWarnings(std::string* body, const std::vector<std::string>& warnings);

}  // namespace strata::frontend
