// `strata tools rules-check`: Prometheus rule files as Thanos's ruler reads them (with its
// group-level partial_response_strategy), checked without running them: YAML structure with no
// unknown keys, group names (non-empty, unique), durations, record/alert, PromQL expressions,
// metric and label names. Go templates in alert labels and annotations are not parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::tools {

struct RuleFileCheck {
  int rules = 0;                    // rules found (when there are no errors)
  std::vector<std::string> errors;  // each with its position, group and rule
};

RuleFileCheck CheckRuleFile(std::string_view yaml);

}  // namespace strata::tools
