#include "tools/verify.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/timestamp.h"
#include "base/ulid.h"
#include "block/block.h"
#include "objstore/filesystem.h"
#include "tsdb/meta.h"
#include "tsdb/series_writer.h"
#include "tsdb/test_util.h"
#include "tsdb/xor_chunk.h"

namespace strata::tools {
namespace {
namespace fs = std::filesystem;

constexpr int64_t kMax = 2 * 3600 * 1000;

std::string Chunk(int64_t from, int64_t to) {
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (int64_t t = from; t <= to; t += 60000) {
    ts.push_back(t);
    vs.push_back(static_cast<double>(t));
  }
  return tsdb::EncodeXorChunk(ts.data(), vs.data(), ts.size());
}

// A block with index issues Thanos knows: a chunk wholly after the block, and a chunk starting
// at the block's end (prometheus/tsdb issue 347). (Strata's index writer refuses to write the
// overlapping chunks of the other known issue.)
std::string BrokenBlock(const std::string& parent) {
  const std::string a = Chunk(0, 3600000), b = Chunk(3660000, 7140000);
  const std::string outside = Chunk(9000000, 9600000), at_end = Chunk(kMax, kMax + 60000);
  std::vector<std::string> symbols = {"__name__", "a", "b", "c", "job", "up"};
  const Ulid id = Ulid::New(NowMs());
  fs::create_directories(parent);
  auto created = tsdb::SeriesWriter::Create(parent, id, symbols);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  auto w = std::move(*created);
  auto chunk = [](const std::string& d, int64_t lo, int64_t hi) {
    return tsdb::EncodedChunk{lo, hi, 1, d, std::nullopt};
  };
  EXPECT_TRUE(w->AddSeries({{"__name__", "up"}, {"job", "a"}},
                           {chunk(a, 0, 3600000), chunk(b, 3660000, 7140000)})
                  .ok());
  EXPECT_TRUE(w->AddSeries({{"__name__", "up"}, {"job", "b"}},
                           {chunk(b, 3660000, 7140000), chunk(outside, 9000000, 9600000)})
                  .ok());
  EXPECT_TRUE(w->AddSeries({{"__name__", "up"}, {"job", "c"}},
                           {chunk(a, 0, 3600000), chunk(at_end, kMax, kMax + 60000)})
                  .ok());
  tsdb::BlockMeta m;
  m.min_time = 0;
  m.max_time = kMax;
  m.compaction.level = 1;
  m.compaction.sources = {id};
  m.thanos.emplace();
  m.thanos->labels = Labels{{"cluster", "eu"}};
  m.thanos->source = "sidecar";
  auto done = w->Finish(m);
  EXPECT_TRUE(done.ok()) << done.status().ToString();
  return id.String();
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() + "/bucket");
    fs::create_directories(tmp_.path() + "/backup");
    bucket_ = std::move(*objstore::NewFilesystemBucket(tmp_.path() + "/bucket"));
    backup_ = std::move(*objstore::NewFilesystemBucket(tmp_.path() + "/backup"));
    opts_.work_dir = tmp_.path() + "/work";
  }
  std::vector<std::string> Ids(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp_.path() + "/" + dir))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  tsdb::TempDir tmp_;
  std::unique_ptr<objstore::Bucket> bucket_, backup_;
  VerifyOptions opts_;
};

TEST_F(VerifyTest, FindsAndRepairsIndexIssues) {
  const std::string local = tmp_.path() + "/local";
  const std::string id = BrokenBlock(local);
  ASSERT_TRUE(block::UploadBlock(*bucket_, local + "/" + id).ok());
  auto h = GatherIndexHealth(local + "/" + id + "/index", 0, kMax);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->complete_outside_chunks, 1);
  EXPECT_EQ(h->issue347_chunks, 1);
  EXPECT_EQ(h->Issues(),
            "found 1 chunks completely outside the block time range, found 1 chunks outside the "
            "block time range introduced by https://github.com/prometheus/tsdb/issues/347");
  EXPECT_TRUE(h->Repairable());

  // Verify alone changes nothing; repair needs a backup bucket.
  ASSERT_TRUE(VerifyBucket(*bucket_, nullptr, opts_).ok());
  EXPECT_EQ(Ids("bucket"), std::vector<std::string>{id});
  opts_.repair = true;
  EXPECT_EQ(VerifyBucket(*bucket_, nullptr, opts_).message(),
            "repair is specified, so backup client is required");
  ASSERT_TRUE(VerifyBucket(*bucket_, backup_.get(), opts_).ok());
  // The broken block is in the backup and gone; its repaired copy is whole and clean.
  EXPECT_EQ(Ids("backup"), std::vector<std::string>{id});
  const auto now = Ids("bucket");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], id);
  const std::string repaired = tmp_.path() + "/bucket/" + now[0];
  auto fixed = GatherIndexHealth(repaired + "/index", 0, kMax);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->Issues(), "");
  auto meta = tsdb::ReadBlockMeta(repaired);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->thanos->source, "bucket.repair");
  EXPECT_EQ(meta->stats.num_series, 3u);
  EXPECT_EQ(meta->stats.num_chunks, 4u);  // a+b, b, a
  // Repairing again finds nothing to repair.
  ASSERT_TRUE(VerifyBucket(*bucket_, backup_.get(), opts_).ok());
  EXPECT_EQ(Ids("bucket").size(), 1u);
}

TEST_F(VerifyTest, DuplicatedCompactionKeepsOneCopy) {
  const std::string local = tmp_.path() + "/local";
  const std::string id = BrokenBlock(local);
  ASSERT_TRUE(block::UploadBlock(*bucket_, local + "/" + id).ok());
  // The same block again under another ULID: the same sources, range and stats.
  const Ulid copy = Ulid::New(NowMs() + 1000);
  fs::copy(local + "/" + id, local + "/" + copy.String(), fs::copy_options::recursive);
  auto meta = *tsdb::ReadBlockMeta(local + "/" + copy.String());
  meta.ulid = copy;
  ASSERT_TRUE(tsdb::WriteBlockMeta(local + "/" + copy.String(), meta).ok());
  ASSERT_TRUE(block::UploadBlock(*bucket_, local + "/" + copy.String()).ok());

  opts_.issues = {"overlapped_blocks", "duplicated_compaction"};
  ASSERT_TRUE(VerifyBucket(*bucket_, nullptr, opts_).ok());
  EXPECT_EQ(Ids("bucket").size(), 2u);
  opts_.ids = {id};
  EXPECT_EQ(VerifyBucket(*bucket_, nullptr, opts_).message(),
            "verify overlapped_blocks: id matching is not supported");
  opts_.ids.clear();
  opts_.repair = true;
  opts_.delete_delay_ms = 3600 * 1000;  // marked, not deleted
  ASSERT_TRUE(VerifyBucket(*bucket_, backup_.get(), opts_).ok());
  const std::string later = std::max(id, copy.String());
  EXPECT_EQ(Ids("backup"), std::vector<std::string>{later});
  EXPECT_TRUE(fs::exists(tmp_.path() + "/bucket/" + later + "/deletion-mark.json"));
  EXPECT_FALSE(
      fs::exists(tmp_.path() + "/bucket/" + std::min(id, copy.String()) + "/deletion-mark.json"));
  opts_.issues = {"bogus"};
  EXPECT_EQ(VerifyBucket(*bucket_, nullptr, opts_).message(), "no such issue ID bogus");
}

}  // namespace
}  // namespace strata::tools
