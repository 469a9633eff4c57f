// Runs Prometheus's PromQL test scripts (promql/promqltest format): `load <step>` blocks of
// series in expanding notation, `eval[_fail|_ordered] instant at <time> <expr>` with expected
// results, `clear`. Like Prometheus's runner, every instant evaluation is also checked as a
// range query around the evaluation time, and again with `@ <time>` set on all selectors at
// several other evaluation times (which also exercises the expression printer).
// Native-histogram cases are counted as skipped: histograms are not supported yet.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "promql/engine.h"

namespace strata::promql {

struct ScriptReport {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::vector<std::string> failures;  // "file:line: expr: what went wrong"
  std::vector<std::string> skips;     // "file:line: reason"
};

// Runs one script; `name` prefixes the messages. Malformed scripts fail with InvalidArgument.
Result<ScriptReport> RunTestScript(std::string_view script, std::string_view name);

}  // namespace strata::promql
