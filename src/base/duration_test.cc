#include "base/duration.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(DurationTest, ParsesPrometheusDurations) {
  constexpr int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("30d"), 30 * kD);
  EXPECT_EQ(*ParseDuration("1y"), 365 * kD);
  EXPECT_EQ(*ParseDuration("2w"), 14 * kD);
  EXPECT_EQ(*ParseDuration("5m30s"), 5 * kM + 30 * kS);
  EXPECT_EQ(*ParseDuration("1h"), kH);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("1h30m15s10ms"), kH + 30 * kM + 15 * kS + 10);
}

TEST(DurationTest, RejectsMalformed) {
  for (const char* s : {"", "1", "h", "1x", "5s30m", "1m1m", "-1h", "1.5h", "1hh", " 1h"}) {
    auto r = ParseDuration(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("not a valid duration"), std::string::npos);
    }
  }
  EXPECT_FALSE(ParseDuration("99999999999999999999y").ok());
}

TEST(DurationTest, FormatsLikePrometheus) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(*ParseDuration("90d")), "90d");
  EXPECT_EQ(FormatDuration(*ParseDuration("1y")), "1y");
  EXPECT_EQ(FormatDuration(*ParseDuration("2w")), "2w");
  EXPECT_EQ(FormatDuration(*ParseDuration("5m30s")), "5m30s");
  EXPECT_EQ(FormatDuration(*ParseDuration("1d2h")), "1d2h");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
}

}  // namespace
}  // namespace strata
