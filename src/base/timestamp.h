// Timestamps are int64 milliseconds since the Unix epoch everywhere in Strata, as in Prometheus.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace strata {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strata

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

// A time as Prometheus's HTTP API accepts it: Unix seconds with up to millisecond precision
// ("1700000000.5") or RFC 3339 ("2023-11-14T22:13:20.5Z", "…+01:00"). Returns ms.
Result<int64_t> ParseApiTime(std::string_view s);
// A duration as the API accepts it: float seconds ("15", "0.5") or a Prometheus duration ("1m").
Result<int64_t> ParseApiDuration(std::string_view s);
// The range of a query_range request (start, end, step; nullopt when the parameter is absent),
// checked as Prometheus's API checks it, with its messages: InvalidArgument on any fault.
struct RangeParams {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
};
Result<RangeParams> ParseRangeParams(const std::optional<std::string>& start,
                                     const std::optional<std::string>& end,
                                     const std::optional<std::string>& step);
// RFC 3339 with up to nanosecond precision, as nanoseconds since the epoch (clamped to int64).
Result<int64_t> ParseRfc3339Nanos(std::string_view s);
// Unix ms as RFC 3339 in UTC with milliseconds: "2023-11-14T22:13:20.500Z".
std::string FormatRfc3339Ms(int64_t ms);

}  // namespace strata
