// Checks arbitrary bytes as a rule file (`tools rules-check`): YAML, groups, rules, PromQL.
#include <cstdint>
#include <string_view>

#include "tools/rules_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)strata::tools::CheckRuleFile(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
