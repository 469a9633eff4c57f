#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);  // the CRC-32C check value
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);  // RFC 3720 B.4
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
}

TEST(Crc32cTest, HardwareAndSoftwareAgreeAndChain) {
  std::string data;
  for (int i = 0; i < 1000; i++) data += static_cast<char>(i * 31 + 7);
  for (size_t len : {0, 1, 7, 8, 9, 63, 64, 999, 1000}) {
    std::string_view s(data.data(), len);
    EXPECT_EQ(Crc32c(s), Crc32cSoftware(s)) << len;
    EXPECT_EQ(Crc32c(s.substr(len / 3), Crc32c(s.substr(0, len / 3))), Crc32c(s)) << len;
  }
}

}  // namespace
}  // namespace strata
