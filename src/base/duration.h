// Prometheus durations ("30d", "1y", "5m30s", "1h", "250ms"), as in prometheus/common/model.
// Values are milliseconds. A year is 365 days and a week 7 days, as in Prometheus.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

// Parses units in descending order (y w d h m s ms), each at most once; "0" is allowed.
Result<int64_t> ParseDuration(std::string_view s);
// Prints the shortest Prometheus form: years and weeks only when exact ("90d", not "12w6d").
std::string FormatDuration(int64_t ms);

}  // namespace strata
