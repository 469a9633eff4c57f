#include "textparse/selector_parser.h"

#include <gtest/gtest.h>

namespace strata::textparse {
namespace {

TEST(SelectorParserTest, ParsesSelectors) {
  auto ms = ParseSeriesSelector(R"(up{job="api", instance=~'10\\..*', env!="", x!~`a\d`,})");
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  EXPECT_EQ(MatchersString(*ms),
            R"({__name__="up", job="api", instance=~"10\\..*", env!="", x!~"a\\d"})");
  auto only_braces = ParseSeriesSelector(R"({__name__=~".+"})");
  ASSERT_TRUE(only_braces.ok());
  EXPECT_EQ(only_braces->size(), 1u);
  auto name_only = ParseSeriesSelector("job:rate5m");
  ASSERT_TRUE(name_only.ok());
  EXPECT_EQ(MatchersString(*name_only), R"({__name__="job:rate5m"})");
  auto escapes = ParseSeriesSelector(R"({a="\u00e9\x41\n\"q\""})");
  ASSERT_TRUE(escapes.ok());
  EXPECT_EQ((*escapes)[0].value(),
            "\xc3\xa9"
            "A\n\"q\"");
}

TEST(SelectorParserTest, ErrorsHavePositions) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"{a=\"b}", "1:4: parse error"},
      {"{a~\"b\"}", "1:3: parse error: expected label matching operator"},
      {"{a=b}", "1:4: parse error: expected string"},
      {"up{a=\"b\"} x", "1:11: parse error: unexpected character: 'x'"},
      {"{a=\"\"}", "at least one non-empty matcher"},
      {"{a=~\"(\"}", "1:5: parse error: error parsing regexp"},
      {"", "expected a series selector"},
  };
  for (const auto& c : cases) {
    auto ms = ParseSeriesSelector(c.in);
    ASSERT_FALSE(ms.ok()) << c.in;
    EXPECT_NE(ms.status().message().find(c.want), std::string::npos)
        << c.in << " -> " << ms.status().message();
  }
}

}  // namespace
}  // namespace strata::textparse
