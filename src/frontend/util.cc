#include "frontend/util.h"

#include <cmath>

#include <snappy.h>

#include <cstdio>

#include "base/encoding.h"
#include "httpclient/http_client.h"
#include "promql/json.h"

namespace strata::frontend {

server::HttpResponse BadData(const std::string& msg) {
  std::string body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":";
  promql::AppendJsonString(&body, msg);
  return {400, "application/json", body + "}", {}};
}

std::string Seconds(int64_t ms) {
  std::string s;
  promql::AppendJsonTimestamp(&s, ms);
  return s;
}

std::optional<int64_t> AnswerTimeMs(double seconds) {
  if (!(std::fabs(seconds) < 9.2e15)) return std::nullopt;
  return std::llround(seconds * 1000);
}

std::string EncodeParams(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string s;
  for (const auto& [k, v] : params) {
    if (!s.empty()) s.push_back('&');
    s += http::UrlEncode(k) + "=" + http::UrlEncode(v);
  }
  return s;
}

std::string HashKey(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string SealEntry(std::string_view key, std::string_view payload, bool snappy) {
  Encoder e;
  e.PutUvarintStr(key);
  e.PutBytes(payload);
  if (!snappy) return std::move(e.buf());
  std::string out;
  snappy::Compress(e.buf().data(), e.buf().size(), &out);
  return out;
}

std::optional<std::string_view> OpenEntry(std::string_view key, std::string_view entry, bool snappy,
                                          std::string* scratch) {
  if (snappy) {
    // Validated first: a damaged header could claim gigabytes, which Uncompress would allocate.
    if (!snappy::IsValidCompressedBuffer(entry.data(), entry.size()) ||
        !snappy::Uncompress(entry.data(), entry.size(), scratch)) {
      return std::nullopt;
    }
    entry = *scratch;
  }
  Decoder d(entry);
  if (d.UvarintStr() != key || !d.ok()) return std::nullopt;
  return d.rest();
}

void AppendWarnings(std::string* body, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  *body += ",\"warnings\":[";
  for (size_t i = 0; i < warnings.size(); i++) {
    if (i > 0) body->push_back(',');
    promql::AppendJsonString(body, warnings[i]);
  }
  body->push_back(']');
}

}  // namespace strata::frontend
