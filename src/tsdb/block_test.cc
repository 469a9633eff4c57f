#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "tsdb/block.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::tsdb {
namespace {

struct Sample {
  int64_t t;
  double v;
  bool operator==(const Sample&) const = default;
};

std::vector<Sample> ReadAll(const Block& b, const SeriesChunks& s, int64_t mint, int64_t maxt) {
  std::vector<Sample> out;
  ChunkSeriesIterator it(&b.chunks(), &s, mint, maxt);
  while (it.Next()) out.push_back({it.t(), it.v()});
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

TEST(BlockTest, WriteThenSelectAndIterate) {
  TempDir dir;
  BlockWriter w(dir.path());
  // Series interleaved and out of label order; 300 samples each -> 3 chunks.
  for (int i = 0; i < 300; i++) {
    for (const char* job : {"z", "a", "m"}) {
      ASSERT_TRUE(w.Append(Labels{{"__name__", "x"}, {"job", job}}, i * 1000, i * 2.0).ok());
    }
  }
  EXPECT_FALSE(w.Append(Labels{{"__name__", "x"}, {"job", "a"}}, 5, 1).ok());  // out of order
  EXPECT_TRUE(w.Append(Labels{{"__name__", "x"}, {"job", "a"}}, 299000, 598.0).ok());  // same
  EXPECT_FALSE(w.Append(Labels{{"__name__", "x"}, {"job", "a"}}, 299000, 1.0).ok());
  EXPECT_FALSE(w.Append(Labels{{"bad-name", "x"}}, 1, 1).ok());

  auto meta = w.Flush();
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->min_time, 0);
  EXPECT_EQ(meta->max_time, 299001);
  EXPECT_EQ(meta->stats.num_series, 3u);
  EXPECT_EQ(meta->stats.num_samples, 900u);
  EXPECT_EQ(meta->stats.num_chunks, 9u);
  const std::string bdir = dir.path() + "/" + meta->ulid.String();
  EXPECT_FALSE(std::filesystem::exists(bdir + ".tmp-for-creation"));

  auto b = Block::Open(bdir);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto sel = (*b)->Select({*Matcher::Make(MatchType::kRegexMatch, "job", "a|z")}, 10000, 20500);
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->size(), 2u);
  EXPECT_EQ((*sel)[0].labels.Get("job"), "a");
  EXPECT_EQ((*sel)[1].labels.Get("job"), "z");
  auto samples = ReadAll(**b, (*sel)[0], 10000, 20500);
  ASSERT_EQ(samples.size(), 11u);
  EXPECT_EQ(samples.front(), (Sample{10000, 20.0}));
  EXPECT_EQ(samples.back(), (Sample{20000, 40.0}));

  auto empty = (*b)->Select({*Matcher::Make(MatchType::kEqual, "job", "a")}, 400000, 500000);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(BlockTest, TombstonesAreHonoured) {
  TempDir dir;
  BlockWriter w(dir.path());
  for (int i = 0; i < 10; i++) ASSERT_TRUE(w.Append(Labels{{"a", "b"}}, i, i).ok());
  auto meta = w.Flush();
  ASSERT_TRUE(meta.ok());
  const std::string bdir = dir.path() + "/" + meta->ulid.String();
  auto b = Block::Open(bdir);
  ASSERT_TRUE(b.ok());
  auto all = (*b)->index().ReadPostings("", "");
  ASSERT_TRUE(all.ok());
  Tombstones t;
  t.Add((*all)[0], {3, 5});
  ASSERT_TRUE(t.WriteToDir(bdir).ok());

  b = Block::Open(bdir);
  ASSERT_TRUE(b.ok());
  auto sel = (*b)->Select({*Matcher::Make(MatchType::kEqual, "a", "b")}, 0, 100);
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->size(), 1u);
  std::vector<int64_t> ts;
  for (const auto& s : ReadAll(**b, (*sel)[0], 0, 100)) ts.push_back(s.t);
  EXPECT_EQ(ts, (std::vector<int64_t>{0, 1, 2, 6, 7, 8, 9}));
}

TEST(BlockTest, SeekSkipsWithinAndAcrossChunks) {
  TempDir dir;
  BlockWriter w(dir.path(), {.samples_per_chunk = 10});
  for (int i = 0; i < 100; i++) ASSERT_TRUE(w.Append(Labels{{"a", "b"}}, i * 10, i).ok());
  auto meta = w.Flush();
  ASSERT_TRUE(meta.ok());
  auto b = Block::Open(dir.path() + "/" + meta->ulid.String());
  ASSERT_TRUE(b.ok());
  auto sel = (*b)->Select({}, 0, 10000);
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->size(), 1u);
  ChunkSeriesIterator it(&(*b)->chunks(), &(*sel)[0], 0, 10000);
  ASSERT_TRUE(it.Seek(555));
  EXPECT_EQ(it.t(), 560);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), 570);
  EXPECT_FALSE(it.Seek(5000));
}

TEST(BlockTest, EmptyWriterAndBrokenBlocks) {
  TempDir dir;
  BlockWriter w(dir.path());
  EXPECT_EQ(w.Flush().status().code(), StatusCode::kNotFound);
  auto missing = Block::Open(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("meta.json"), std::string::npos);
}

}  // namespace
}  // namespace strata::tsdb
