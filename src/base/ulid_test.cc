#include "base/ulid.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(UlidTest, RoundTripAndTimestamp) {
  Ulid u = Ulid::New(1469918176385);
  std::string s = u.String();
  ASSERT_EQ(s.size(), 26u);
  EXPECT_EQ(s.substr(0, 10), "01ARYZ6S41");  // spec example's time part
  auto p = Ulid::Parse(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, u);
  EXPECT_EQ(p->TimestampMs(), 1469918176385);
}

TEST(UlidTest, ParsesKnownUlidCaseInsensitively) {
  auto a = Ulid::Parse("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  auto b = Ulid::Parse("01arz3ndektsv4rrffq69g5fav");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->String(), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
}

TEST(UlidTest, RejectsBadInput) {
  EXPECT_FALSE(Ulid::IsValid(""));
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 chars
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27 chars
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));   // U is not in the alphabet
  EXPECT_FALSE(Ulid::IsValid("81ARZ3NDEKTSV4RRFFQ69G5FAV"));   // overflow
  EXPECT_FALSE(Ulid::IsValid("../../../../../../etc/passw"));
}

TEST(UlidTest, NewIsUnique) { EXPECT_NE(Ulid::New(1), Ulid::New(1)); }

}  // namespace
}  // namespace strata
