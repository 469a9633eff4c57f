#include "base/timestamp.h"

#include <gtest/gtest.h>

#include "base/go_format.h"

namespace strata {
namespace {

TEST(TimestampTest, ParsesApiTimes) {
  EXPECT_EQ(*ParseApiTime("1700000000"), 1700000000000);
  EXPECT_EQ(*ParseApiTime("1700000000.123"), 1700000000123);
  EXPECT_EQ(*ParseApiTime("-1.5"), -1500);
  EXPECT_EQ(*ParseApiTime("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*ParseApiTime("2023-11-14T22:13:20.25Z"), 1700000000250);
  EXPECT_EQ(*ParseApiTime("2023-11-14T23:13:20+01:00"), 1700000000000);
  EXPECT_EQ(*ParseApiTime("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(ParseApiTime("yesterday").status().message(),
            "cannot parse \"yesterday\" to a valid timestamp");
  EXPECT_FALSE(ParseApiTime("2023-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseApiTime("").ok());
}

TEST(TimestampTest, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(1700000000500), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimestampTest, ParsesApiDurations) {
  EXPECT_EQ(*ParseApiDuration("15"), 15000);
  EXPECT_EQ(*ParseApiDuration("0.5"), 500);
  EXPECT_EQ(*ParseApiDuration("1m30s"), 90000);
  EXPECT_FALSE(ParseApiDuration("1e300").ok());
  EXPECT_FALSE(ParseApiDuration("soon").ok());
}

TEST(TimestampTest, GoExponentFormat) {
  EXPECT_EQ(GoFormatFloatE(1e-7), "1e-07");
  EXPECT_EQ(GoFormatFloatE(1.5e21), "1.5e+21");
  EXPECT_EQ(GoFormatFloatE(-2.5e-300), "-2.5e-300");
}

}  // namespace
}  // namespace strata
