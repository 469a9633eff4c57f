#include "base/bytesize.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ByteSizeTest, ParsesThanosSizes) {
  EXPECT_EQ(*ParseByteSize("100"), 100u);
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("512KB"), 512u * 1024);
  EXPECT_EQ(*ParseByteSize("250MB"), 250u * 1024 * 1024);
  EXPECT_EQ(*ParseByteSize("1MiB"), 1024u * 1024);
  EXPECT_EQ(*ParseByteSize("2GB"), 2ull << 30);
  EXPECT_EQ(*ParseByteSize("1.5GiB"), 3ull << 29);
}

TEST(ByteSizeTest, RejectsMalformed) {
  for (const char* s : {"", "MB", "-1MB", "1 MB", "1mb", "1XB", "nan", "1e30TB"}) {
    auto r = ParseByteSize(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_NE(r.status().message().find("not a valid byte size"), std::string::npos);
  }
}

}  // namespace
}  // namespace strata
