#include "base/encoding.h"

#include <gtest/gtest.h>

#include <limits>

namespace strata {
namespace {

TEST(EncodingTest, RoundTripsAllWidths) {
  Encoder e;
  e.PutByte(0xab);
  e.PutBe16(0x1234);
  e.PutBe32(0xdeadbeef);
  e.PutBe64(0x0102030405060708ULL);
  e.PutUvarint(300);
  e.PutUvarint(std::numeric_limits<uint64_t>::max());
  e.PutVarint(-1);
  e.PutVarint(std::numeric_limits<int64_t>::min());
  e.PutUvarintStr("hello");

  Decoder d(e.buf());
  EXPECT_EQ(d.Byte(), 0xab);
  EXPECT_EQ(d.Be16(), 0x1234);
  EXPECT_EQ(d.Be32(), 0xdeadbeefu);
  EXPECT_EQ(d.Be64(), 0x0102030405060708ULL);
  EXPECT_EQ(d.Uvarint(), 300u);
  EXPECT_EQ(d.Uvarint(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(d.Varint(), -1);
  EXPECT_EQ(d.Varint(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(d.UvarintStr(), "hello");
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(d.remaining(), 0u);
}

TEST(EncodingTest, GoCompatibleVarintBytes) {
  Encoder e;
  e.PutUvarint(300);  // Go: binary.PutUvarint(buf, 300) == {0xac, 0x02}
  e.PutVarint(-3);    // zig-zag 5
  EXPECT_EQ(e.buf(), std::string("\xac\x02\x05", 3));
}

TEST(EncodingTest, TruncatedInputIsStickyError) {
  Decoder d(std::string_view("\x01\x02", 2));
  EXPECT_EQ(d.Be32(), 0u);
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.Error(), "unexpected end of data at offset 0");
  EXPECT_EQ(d.Byte(), 0);  // stays failed, never reads past the end
  EXPECT_FALSE(d.ok());
}

TEST(EncodingTest, OverlongVarintIsRejected) {
  std::string b(11, '\xff');
  Decoder d(b);
  d.Uvarint();
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.Error().find("overflows"), std::string::npos);
}

TEST(EncodingTest, LengthBeyondBufferIsRejected) {
  Encoder e;
  e.PutUvarint(1000);
  e.PutBytes("abc");
  Decoder d(e.buf());
  EXPECT_TRUE(d.UvarintStr().empty());
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.Error(), "length exceeds the remaining data at offset 2");
}

TEST(EncodingTest, Uvarint32RejectsLargeValues) {
  Encoder e;
  e.PutUvarint(uint64_t{1} << 33);
  Decoder d(e.buf());
  d.Uvarint32();
  EXPECT_FALSE(d.ok());
}

TEST(EncodingTest, HexEncode) {
  EXPECT_EQ(HexEncode(std::string("\x01\xab\x00\xff", 4)), "01ab00ff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(EncodingTest, UriEncode) {
  EXPECT_EQ(UriEncode("a b/c~d+e", false), "a%20b/c~d%2Be");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("\"<>\xff", false), "%22%3C%3E%FF");
}

}  // namespace
}  // namespace strata
