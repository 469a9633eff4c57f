#include "tsdb/tombstones.h"

#include <gtest/gtest.h>

#include "tsdb/test_util.h"

namespace strata::tsdb {
namespace {

TEST(TombstonesTest, RoundTripAndMerge) {
  Tombstones t;
  t.Add(16, {10, 20});
  t.Add(16, {15, 30});
  t.Add(16, {100, 200});
  t.Add(32, {-5, 5});
  ASSERT_EQ(t.num_intervals(), 3u);
  EXPECT_EQ(*t.Get(16), (Intervals{{10, 30}, {100, 200}}));
  EXPECT_EQ(t.Get(48), nullptr);

  TempDir dir;
  ASSERT_TRUE(t.WriteToDir(dir.path()).ok());
  auto r = Tombstones::ReadFromDir(dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r->Get(16), *t.Get(16));
  EXPECT_EQ(*r->Get(32), (Intervals{{-5, 5}}));
}

TEST(TombstonesTest, MissingFileIsEmptyCorruptFileIsAnError) {
  TempDir dir;
  auto r = Tombstones::ReadFromDir(dir.path());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());

  Tombstones t;
  t.Add(1, {1, 2});
  std::string enc = t.Encode();
  enc[6] ^= 1;
  auto bad = Tombstones::Decode(enc, "x/tombstones");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum mismatch"), std::string::npos);
  EXPECT_FALSE(Tombstones::Decode(enc.substr(0, 6), "x").ok());
}

}  // namespace
}  // namespace strata::tsdb
