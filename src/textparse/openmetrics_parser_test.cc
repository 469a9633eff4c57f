#include "textparse/openmetrics_parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::textparse {
namespace {

TEST(OpenMetricsParserTest, ParsesSamplesAndSkipsMetadata) {
  OpenMetricsParser p(
      "# HELP http_requests_total Requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 1027 1700000000.5\n"
      "http_requests_total{code=\"500\"} NaN 1700000001\n"
      "up 1 # {trace_id=\"x\"} 1 1700000000\n"
      "temp -Inf 1.5e9\n"
      "# EOF\n");
  OpenMetricsSample s;
  ASSERT_TRUE(p.Next(&s)) << p.status().ToString();
  EXPECT_EQ(s.labels.String(),
            R"({__name__="http_requests_total", code="200", path="/a\"b\\c\nd"})");
  EXPECT_EQ(s.value, 1027);
  EXPECT_EQ(s.timestamp_ms, 1700000000500);
  ASSERT_TRUE(p.Next(&s));
  EXPECT_TRUE(std::isnan(s.value));
  EXPECT_EQ(s.timestamp_ms, 1700000001000);
  ASSERT_TRUE(p.Next(&s));
  EXPECT_EQ(s.labels.String(), R"({__name__="up"})");
  EXPECT_FALSE(s.timestamp_ms.has_value());
  ASSERT_TRUE(p.Next(&s));
  EXPECT_EQ(s.value, -INFINITY);
  EXPECT_EQ(s.timestamp_ms, 1500000000000);
  EXPECT_FALSE(p.Next(&s));
  EXPECT_TRUE(p.status().ok()) << p.status().ToString();
}

TEST(OpenMetricsParserTest, ErrorsCarryLineAndColumn) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"a 1\n", "line 2, column 1: data does not end with # EOF"},
      {"a{b=\"c} 1\n# EOF\n", "line 1, column 10: unterminated label value"},
      {"a{1b=\"c\"} 1\n# EOF\n", "line 1, column 3: invalid label name"},
      {"a 1x\n# EOF\n", "line 1, column 3: invalid value \"1x\""},
      {"a 1 zz\n# EOF\n", "line 1, column 5: invalid timestamp"},
      {"a{b=\"1\",b=\"2\"} 1\n# EOF\n", "duplicate label name"},
      {"# TYPE a bogus\n# EOF\n", "invalid metric type"},
      {"# EOF\nmore\n", "line 2, column 1: unexpected data after # EOF"},
      {"\n# EOF\n", "line 1, column 1: unexpected empty line"},
      {"#foo\n# EOF\n", "invalid comment"},
  };
  for (const auto& c : cases) {
    OpenMetricsParser p(c.in);
    OpenMetricsSample s;
    while (p.Next(&s)) {
    }
    EXPECT_FALSE(p.status().ok()) << c.in;
    EXPECT_NE(p.status().message().find(c.want), std::string::npos) << p.status().message();
  }
}

TEST(ParseGoFloatTest, AcceptsWhatGoAccepts) {
  EXPECT_EQ(ParseGoFloat("1.5e3"), 1500);
  EXPECT_EQ(ParseGoFloat("-0.25"), -0.25);
  EXPECT_EQ(ParseGoFloat(".5"), 0.5);
  EXPECT_EQ(ParseGoFloat("+Inf"), INFINITY);
  EXPECT_EQ(ParseGoFloat("inf"), INFINITY);
  EXPECT_TRUE(std::isnan(*ParseGoFloat("NaN")));
  EXPECT_FALSE(ParseGoFloat("").has_value());
  EXPECT_FALSE(ParseGoFloat("1e").has_value());
  EXPECT_FALSE(ParseGoFloat(" 1").has_value());
  EXPECT_FALSE(ParseGoFloat("0x10").has_value());
}

}  // namespace
}  // namespace strata::textparse
