// PromQL parser: the whole grammar of Prometheus 2.53 (selectors, ranges, offset and @,
// subqueries, aggregations, binary operators with vector matching, functions), followed by
// Prometheus's type checks. Errors read like Prometheus's: "1:14: parse error: ...".
#pragma once

#include <string_view>

#include "base/status.h"
#include "promql/ast.h"

namespace strata::promql {

struct ParseOptions {
  bool enable_experimental_functions = true;
  // Thanos's --query.enable-x-functions (xrate, xincrease, xdelta); unknown functions otherwise.
  bool enable_x_functions = false;
  int max_depth =
      256;  // nesting limit, so hostile queries cannot exhaust the stack (also under ASan)
};

Result<ExprPtr> ParseExpr(std::string_view query, const ParseOptions& opts = {});

// A bare series selector (for match[] parameters): name{matchers} only.
Result<Matchers> ParseMetricSelector(std::string_view selector);

}  // namespace strata::promql
