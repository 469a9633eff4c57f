#include "base/log.h"

#include <gtest/gtest.h>

namespace strata::log {
namespace {

TEST(LogTest, LogfmtQuotesOnlyWhereNeeded) {
  EXPECT_EQ(
      Format(Level::kWarn, "upload failed", {{"block", "01ABC"}, {"err", "a=b \"c\""}}, false),
      "level=warn msg=\"upload failed\" block=01ABC err=\"a=b \\\"c\\\"\"");
  EXPECT_EQ(Format(Level::kInfo, "x", {{"empty", ""}}, false), "level=info msg=x empty=\"\"");
}

TEST(LogTest, JsonEscapes) {
  EXPECT_EQ(Format(Level::kError, "bad\nline", {{"path", "a\\b"}}, true),
            "{\"level\":\"error\",\"msg\":\"bad\\u000aline\",\"path\":\"a\\\\b\"}");
}

TEST(LogTest, ConfigureRejectsUnknownValues) {
  EXPECT_TRUE(Configure("debug", "json").ok());
  EXPECT_TRUE(Configure("info", "logfmt").ok());
  Status st = Configure("verbose", "logfmt");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("verbose"), std::string::npos);
  EXPECT_FALSE(Configure("info", "xml").ok());
}

}  // namespace
}  // namespace strata::log
