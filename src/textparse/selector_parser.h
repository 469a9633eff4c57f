// Parses a PromQL series selector such as  up{job="api", instance=~"10\\..*"}  into matchers.
// Used by flags that take selectors (--match) before and independently of the PromQL engine.
// Errors follow Prometheus's style: "1:12: parse error: unexpected ...".
#pragma once

#include <string_view>

#include "base/matcher.h"
#include "base/status.h"

namespace strata::textparse {

Result<Matchers> ParseSeriesSelector(std::string_view input);

// Unquotes a PromQL string literal ("...", '...' with Go escapes, or `raw`).
// *consumed is set to the literal's length in input.
Result<std::string> UnquotePromQLString(std::string_view input, size_t* consumed);

}  // namespace strata::textparse
