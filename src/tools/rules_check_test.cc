#include "tools/rules_check.h"

#include <gtest/gtest.h>

namespace strata::tools {
namespace {

// Every error contains `want`; there are `n` of them.
void ExpectErrors(std::string_view yaml, size_t n, const std::string& want) {
  RuleFileCheck c = CheckRuleFile(yaml);
  ASSERT_EQ(c.errors.size(), n) << (c.errors.empty() ? "" : c.errors[0]);
  for (const auto& e : c.errors) EXPECT_NE(e.find(want), std::string::npos) << e;
  EXPECT_EQ(c.rules, 0);
}

TEST(RulesCheckTest, ValidThanosRuleFile) {
  RuleFileCheck c = CheckRuleFile(R"(
groups:
  - name: test-alert-group
    partial_response_strategy: "warn"
    interval: 2m
    rules:
      - alert: TestAlert
        expr: up == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.instance }} is down"}
  - name: test-rule-group
    partial_response_strategy: "ABORT"
    limit: 10
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
)");
  EXPECT_TRUE(c.errors.empty()) << c.errors[0];
  EXPECT_EQ(c.rules, 2);
}

TEST(RulesCheckTest, ClearErrorsWithPositions) {
  ExpectErrors("groups:\n  - name: a\n    interrrrrrrrval: 1m\n    rules: []\n", 1,
               "3:5: field interrrrrrrrval not found in group");
  ExpectErrors(
      "groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n"
      "        partial_response_strategy: warn\n",
      1, "field partial_response_strategy not found in rule");
  ExpectErrors("groups:\n  - rules: []\n", 1, "Groupname should not be empty");
  ExpectErrors("groups:\n  - name: a\n  - name: a\n", 1, "\"a\" is repeated");
  ExpectErrors("groups:\n  - name: a\n    partial_response_strategy: maybe\n", 1,
               "Possible values are ABORT,WARN");
  ExpectErrors("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: sum(up\n", 1,
               "group \"a\", rule 1, \"x\": could not parse expression: ");
  ExpectErrors(
      "groups:\n  - name: a\n    rules:\n      - record: 'bad name'\n        expr: up\n"
      "        for: 5m\n",
      2, "group \"a\", rule 1");
  ExpectErrors(
      "groups:\n  - name: a\n    rules:\n      - alert: A\n        record: r\n        expr: up\n",
      1, "only one of 'record' and 'alert' must be set");
  ExpectErrors("groups:\n  - name: a\n    rules:\n      - alert: A\n", 1,
               "field 'expr' must be set in rule");
  ExpectErrors("groups:\n  - name: a\n    rules:\n      - alert: ''\n        expr: up\n", 1,
               "one of 'record' or 'alert' must be set");
  ExpectErrors(
      "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n"
      "        labels: {__name__: x}\n",
      1, "invalid labels name: __name__");
  ExpectErrors("", 1, "empty");
  ExpectErrors("groups: [", 1, "yaml: ");
}

}  // namespace
}  // namespace strata::tools
