#include "base/go_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata {
namespace {

TEST(GoFormatTest, FloatLikePercentG) {
  // Expected strings are what Go's fmt.Sprintf("%g", v) prints.
  EXPECT_EQ(GoFormatFloat(0), "0");
  EXPECT_EQ(GoFormatFloat(-0.0), "-0");
  EXPECT_EQ(GoFormatFloat(1), "1");
  EXPECT_EQ(GoFormatFloat(100), "100");
  EXPECT_EQ(GoFormatFloat(123456), "123456");
  EXPECT_EQ(GoFormatFloat(1000000), "1e+06");
  EXPECT_EQ(GoFormatFloat(1234567), "1.234567e+06");
  EXPECT_EQ(GoFormatFloat(0.0001), "0.0001");
  EXPECT_EQ(GoFormatFloat(0.00001), "1e-05");
  EXPECT_EQ(GoFormatFloat(0.1), "0.1");
  EXPECT_EQ(GoFormatFloat(1.5), "1.5");
  EXPECT_EQ(GoFormatFloat(-2.25), "-2.25");
  EXPECT_EQ(GoFormatFloat(1e100), "1e+100");
  EXPECT_EQ(GoFormatFloat(5e-324), "5e-324");
  EXPECT_EQ(GoFormatFloat(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(GoFormatFloat(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(GoFormatFloat(std::nan("")), "NaN");
  EXPECT_EQ(GoFormatFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(GoFormatFloat(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(GoFormatTest, FloatFixed) {
  EXPECT_EQ(GoFormatFloatF(1e6), "1000000");
  EXPECT_EQ(GoFormatFloatF(0.00001), "0.00001");
  EXPECT_EQ(GoFormatFloatF(1.25), "1.25");
  // The integer fast path and its edges agree with the digit path.
  EXPECT_EQ(GoFormatFloatF(-42), "-42");
  EXPECT_EQ(GoFormatFloatF(-0.0), "-0");
  EXPECT_EQ(GoFormatFloatF(9007199254740991.0), "9007199254740991");
  EXPECT_EQ(GoFormatFloatF(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(GoFormatFloatF(1e20), "100000000000000000000");
  EXPECT_EQ(GoFormatFloatF(123456789.125), "123456789.125");
  EXPECT_EQ(GoFormatFloatF(0.1 + 0.2), "0.30000000000000004");
}

TEST(GoFormatTest, QuoteLikeStrconv) {
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(GoQuote("\n\t\r"), R"("\n\t\r")");
  EXPECT_EQ(GoQuote(std::string("\x01\x7f", 2)), R"("\x01\x7f")");
  EXPECT_EQ(GoQuote("h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");  // printable UTF-8 kept
  EXPECT_EQ(GoQuote("\xff"), R"("\xff")");                 // invalid UTF-8 escaped
  EXPECT_EQ(GoQuote("\xc2\x85"), R"("\u0085")");           // C1 control
}

}  // namespace
}  // namespace strata
