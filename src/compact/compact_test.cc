#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/file.h"
#include "block/block.h"
#include "compact/compactor.h"
#include "compact/merge.h"
#include "objstore/filesystem.h"
#include "relabel/relabel.h"
#include "tsdb/block.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::compact {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;

// Samples of every series in a block directory, by series.
std::map<std::string, std::vector<std::pair<int64_t, double>>> ReadAll(const std::string& dir) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
  auto b = tsdb::Block::Open(dir);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  auto all = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+").value();
  auto series = (*b)->Select({all}, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(series.ok());
  for (const auto& s : *series) {
    tsdb::ChunkSeriesIterator it(&(*b)->chunks(), &s, INT64_MIN, INT64_MAX);
    auto& v = out[s.labels.String()];
    while (it.Next()) v.emplace_back(it.t(), it.v());
  }
  return out;
}

std::string WriteBlock(const std::string& dir, int64_t from, int64_t to, int64_t step,
                       double offset = 0, int series = 3) {
  fs::create_directories(dir);
  tsdb::BlockWriter w(dir);
  for (int i = 0; i < series; i++)
    for (int64_t t = from; t < to; t += step)
      EXPECT_TRUE(
          w.Append(Labels({{"__name__", "m"}, {"i", std::to_string(i)}}), t, t / 1000.0 + offset)
              .ok());
  return dir + "/" + w.Flush().value().ulid.String();
}

TEST(MergeTest, DisjointBlocksAreConcatenatedWithChunksCopied) {
  tsdb::TempDir tmp;
  const std::string a = WriteBlock(tmp.path() + "/in", 0, 2 * kH, 15000);
  const std::string b = WriteBlock(tmp.path() + "/in", 2 * kH, 4 * kH, 15000);
  fs::create_directories(tmp.path() + "/out");
  tsdb::ThanosMeta th;
  th.labels = Labels({{"cluster", "eu"}});
  th.source = "compactor";
  auto meta = CompactBlocks({a, b}, tmp.path() + "/out", th);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->compaction.level, 2);
  EXPECT_EQ(meta->compaction.sources.size(), 2u);
  EXPECT_EQ(meta->compaction.parents.size(), 2u);
  EXPECT_EQ(meta->min_time, 0);
  EXPECT_EQ(meta->stats.num_samples, 3u * 2 * 480);
  EXPECT_EQ(meta->thanos->segment_files, std::vector<std::string>{"000001"});
  auto got = ReadAll(tmp.path() + "/out/" + meta->ulid.String());
  auto want = ReadAll(a);
  for (auto& [k, v] : ReadAll(b)) want[k].insert(want[k].end(), v.begin(), v.end());
  EXPECT_EQ(got, want);
  // The source chunks were copied, not re-encoded: same total chunk bytes.
  EXPECT_EQ(fs::file_size(tmp.path() + "/out/" + meta->ulid.String() + "/chunks/000001"),
            fs::file_size(a + "/chunks/000001") + fs::file_size(b + "/chunks/000001") - 8);
}

TEST(MergeTest, OverlappingBlocksAreMergedSampleBySample) {
  tsdb::TempDir tmp;
  // Replica-like: the same series, overlapping in time, one sample per 15s vs per 10s.
  const std::string a = WriteBlock(tmp.path() + "/in", 0, kH, 15000);
  const std::string b = WriteBlock(tmp.path() + "/in", 30 * 60 * 1000, 2 * kH, 10000, 0.5);
  fs::create_directories(tmp.path() + "/out");
  auto meta = CompactBlocks({a, b}, tmp.path() + "/out", std::nullopt);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  auto got = ReadAll(tmp.path() + "/out/" + meta->ulid.String());
  std::map<std::string, std::map<int64_t, double>> want;
  for (auto& [k, v] : ReadAll(b))
    for (auto [t, x] : v) want[k][t] = x;
  for (auto& [k, v] : ReadAll(a))
    for (auto [t, x] : v) want[k][t] = x;  // the first source wins a shared timestamp
  ASSERT_EQ(got.size(), want.size());
  for (auto& [k, v] : got) {
    ASSERT_EQ(v.size(), want[k].size()) << k;
    size_t i = 0;
    for (auto [t, x] : want[k]) {
      EXPECT_EQ(v[i].first, t);
      EXPECT_EQ(v[i].second, x);
      i++;
    }
  }
}

TEST(MergeTest, TombstonesAreApplied) {
  tsdb::TempDir tmp;
  const std::string a = WriteBlock(tmp.path() + "/in", 0, kH, 15000, 0, 1);
  // The series' reference: the all-postings list's only entry.
  auto blk = tsdb::Block::Open(a).value();
  const uint32_t ref = blk->index().ReadPostings("", "").value().at(0);
  tsdb::Tombstones real;
  real.Add(ref, {0, 10 * 60 * 1000});
  ASSERT_TRUE(real.WriteToDir(a).ok());
  fs::create_directories(tmp.path() + "/out");
  auto meta = CompactBlocks({a}, tmp.path() + "/out", std::nullopt);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  auto got = ReadAll(tmp.path() + "/out/" + meta->ulid.String());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->second.front().first, 10 * 60 * 1000 + 15000);
  EXPECT_EQ(meta->stats.num_samples, 240u - 41);
}

TEST(MergeTest, CorruptSourceIsNamed) {
  tsdb::TempDir tmp;
  const std::string a = WriteBlock(tmp.path() + "/in", 0, kH, 15000);
  const std::string b = WriteBlock(tmp.path() + "/in", kH, 2 * kH, 15000);
  fs::resize_file(b + "/index", fs::file_size(b + "/index") / 2);
  fs::create_directories(tmp.path() + "/out");
  auto meta = CompactBlocks({a, b}, tmp.path() + "/out", std::nullopt);
  ASSERT_FALSE(meta.ok());
  EXPECT_TRUE(meta.status().IsCorruption()) << meta.status().ToString();
  EXPECT_NE(meta.status().message().find(b), std::string::npos) << meta.status().ToString();
  // Nothing half-written is left behind.
  EXPECT_TRUE(fs::is_empty(tmp.path() + "/out"));
}

TEST(MergeTest, PenaltyDedupTakesOneReplicaAtATime) {
  tsdb::TempDir tmp;
  // Replica a scrapes on the 15s mark but misses 20m-30m; replica b scrapes 5s later, always.
  auto write = [&](const std::string& replica, int64_t offset, bool gap) {
    tsdb::BlockWriter w(tmp.path() + "/in");
    for (int64_t t = offset; t < kH; t += 15000) {
      if (gap && t >= 20 * 60000 && t < 30 * 60000) continue;
      EXPECT_TRUE(w.Append(Labels({{"__name__", "m"}}), t, static_cast<double>(t)).ok());
    }
    tsdb::ThanosMeta th;
    th.labels = Labels({{"cluster", "eu"}, {"replica", replica}});
    return tmp.path() + "/in/" + w.Flush(th).value().ulid.String();
  };
  fs::create_directories(tmp.path() + "/in");
  const std::string a = write("a", 0, true), b = write("b", 5000, false);
  fs::create_directories(tmp.path() + "/out");
  auto chain = CompactBlocks({a, b}, tmp.path() + "/out", std::nullopt, {{"replica"}, false});
  auto penalty = CompactBlocks({a, b}, tmp.path() + "/out", std::nullopt, {{"replica"}, true});
  ASSERT_TRUE(chain.ok() && penalty.ok());
  // Default: every timestamp of both replicas.
  EXPECT_EQ(chain->stats.num_samples, 240u - 40 + 240);
  auto got = ReadAll(tmp.path() + "/out/" + penalty->ulid.String()).begin()->second;
  // Penalty: a until its gap, then b (no switching back without a gap in b): never both.
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().first, 0);
  int switches = 0;
  for (size_t i = 1; i < got.size(); i++) {
    if (got[i].first % 15000 != got[i - 1].first % 15000) switches++;
    EXPECT_GE(got[i].first - got[i - 1].first, 15000) << "interleaved at " << got[i].first;
  }
  EXPECT_EQ(switches, 1);
  EXPECT_EQ(got.back().first % 15000, 5000);  // b's
  EXPECT_LT(penalty->stats.num_samples, chain->stats.num_samples);
}

class BucketCompactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() + "/bucket");
    bucket_ = std::shared_ptr<objstore::Bucket>(
        objstore::NewFilesystemBucket(dir_.path() + "/bucket").value());
    opts_.data_dir = dir_.path() + "/data";
    opts_.consistency_delay_ms = 0;
  }
  // Uploads a generated block with Thanos labels of replica r.
  std::string Upload(int64_t from, int64_t to, const std::string& replica = "a") {
    const std::string local = WriteBlock(dir_.path() + "/src", from, to, 60000);
    tsdb::ThanosMeta th;
    th.labels = Labels({{"cluster", "eu"}, {"replica", replica}});
    th.source = "sidecar";
    EXPECT_TRUE(block::UploadBlock(*bucket_, local, &th).ok());
    return fs::path(local).filename().string();
  }
  double Metric(const std::string& needle) {
    const std::string text = registry_.Expose();
    size_t at = text.find("\n" + needle + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + needle.size() + 2));
  }
  std::vector<block::BucketBlock> Blocks() { return block::FetchBlocks(*bucket_).value(); }

  tsdb::TempDir dir_;
  std::shared_ptr<objstore::Bucket> bucket_;
  CompactorOptions opts_;
  Registry registry_;
};

TEST_F(BucketCompactorTest, CompactsMarksSourcesAndDeletesThemAfterTheDelay) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; i++) ids.push_back(Upload(i * 2 * kH, (i + 1) * 2 * kH));
  // Blocks end at their last sample + 1ms, short of the 8h window's end: the window compacts
  // once a block after the newest one's window start exists, as in Thanos.
  const std::string newest = Upload(8 * kH, 10 * kH);
  const std::string other_group = Upload(0, 2 * kH, "b");
  {
    // Until then the 8h window waits (the defect compacted it at once, then again and again).
    BucketCompactor early(bucket_, opts_, &registry_);
    ASSERT_TRUE(early.RunOnce().ok());
    for (const auto& b : Blocks()) EXPECT_FALSE(b.marked_for_deletion) << b.id;
  }
  const std::string newest2 = Upload(10 * kH, 12 * kH);
  opts_.blocks_fetch_concurrency = 3;  // the four sources downloaded three at a time
  opts_.block_files_concurrency = 2;
  opts_.meta_fetch_concurrency = 2;
  BucketCompactor c(bucket_, opts_, &registry_);
  ASSERT_TRUE(c.RunOnce().ok());

  int compacted = 0;
  for (const auto& b : Blocks()) {
    const bool source = std::find(ids.begin(), ids.end(), b.id) != ids.end();
    EXPECT_EQ(b.marked_for_deletion, source) << b.id;
    if (!source && b.meta.compaction.level == 2) {
      compacted++;
      EXPECT_EQ(b.meta.min_time, 0);
      EXPECT_EQ(b.meta.thanos->source, "compactor");
      EXPECT_EQ(b.meta.thanos->labels.Get("replica"), "a");
      EXPECT_EQ(b.meta.stats.num_samples, 4u * 3 * 120);
    }
  }
  EXPECT_EQ(compacted, 1);
  EXPECT_EQ(Metric("thanos_compact_group_compactions_total{resolution=\"0\"}"), 1);
  EXPECT_EQ(
      Metric(
          "thanos_compact_blocks_marked_total{marker=\"deletion-mark.json\",reason=\"compacted\"}"),
      4);
  EXPECT_EQ(Metric("thanos_compact_halted"), 0);

  // Within the delete delay the sources stay; with it passed they go, meta.json first.
  ASSERT_TRUE(c.RunOnce().ok());
  EXPECT_EQ(Blocks().size(), 8u);
  opts_.delete_delay_ms = 0;
  BucketCompactor now(bucket_, opts_, &registry_);
  ASSERT_TRUE(now.RunOnce().ok());
  auto left = Blocks();
  EXPECT_EQ(left.size(), 4u);
  for (const auto& b : left)
    EXPECT_TRUE(b.id == newest || b.id == newest2 || b.id == other_group ||
                b.meta.compaction.level == 2);
}

TEST_F(BucketCompactorTest, SelectorLimitsTheBlocksSeen) {
  // Two HA replicas' blocks; the relabel rules keep replica "a" only, and the time range leaves
  // out its last block: only a's first two blocks are compacted, retention spares the rest.
  std::vector<std::string> a, b;
  for (int i = 0; i < 3; i++) {
    a.push_back(Upload(i * 2 * kH, (i + 1) * 2 * kH, "a"));
    b.push_back(Upload(i * 2 * kH, (i + 1) * 2 * kH, "b"));
  }
  auto rules = relabel::ParseConfigs("- action: keep\n  source_labels: [replica]\n  regex: a\n");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  opts_.selector.relabel = *rules;
  opts_.selector.max_time = 4 * kH - 1;  // a[2] starts at 4h: not selected
  opts_.ranges = {4 * kH};
  opts_.retention_raw_ms = 24 * kH;  // would expire every block (data from 1970) it sees
  BucketCompactor c(bucket_, opts_, &registry_);
  ASSERT_TRUE(c.RunOnce().ok());
  int seen = 0;
  for (const auto& blk : Blocks()) {
    if (blk.meta.compaction.level > 1) continue;  // made from a[0] and a[1], if compacted first
    const bool selected = blk.id == a[0] || blk.id == a[1];
    EXPECT_EQ(blk.marked_for_deletion, selected) << blk.id;
    seen++;
  }
  EXPECT_EQ(seen, 6);
  block::BlockSelector everything;
  tsdb::BlockMeta m;
  m.min_time = 0;
  m.max_time = 1;
  EXPECT_TRUE(everything.Selects(m));
}

TEST_F(BucketCompactorTest, CorruptBlockIsMarkedNoCompactAndTheRestCompacts) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; i++) ids.push_back(Upload(i * 2 * kH, (i + 1) * 2 * kH));
  Upload(8 * kH, 10 * kH);
  Upload(10 * kH, 12 * kH);
  // Break the second block's index in the bucket.
  const std::string index = dir_.path() + "/bucket/" + ids[1] + "/index";
  fs::resize_file(index, 20);
  BucketCompactor c(bucket_, opts_, &registry_);
  Status st = c.RunOnce();
  EXPECT_TRUE(st.ok()) << st.ToString();
  bool marked = false;
  int compacted = 0;
  for (const auto& b : Blocks()) {
    if (b.id == ids[1]) marked = b.marked_no_compact && !b.marked_for_deletion;
    if (b.meta.compaction.level == 2) compacted++;
  }
  EXPECT_TRUE(marked);
  EXPECT_GE(compacted, 1);  // the remaining blocks still compact
  auto mark = bucket_->Get(ids[1] + "/no-compact-mark.json");
  ASSERT_TRUE(mark.ok());
  EXPECT_NE(mark->find("\"reason\": \"corrupted-block\""), std::string::npos) << *mark;
}

TEST_F(BucketCompactorTest, ReplicaLabelMergesAnHaPairIntoOneBlock) {
  const std::string a = Upload(0, 2 * kH, "a");
  const std::string b = Upload(0, 2 * kH, "b");
  opts_.replica_labels = {"replica"};
  opts_.concurrency = 2;
  BucketCompactor c(bucket_, opts_, &registry_);
  ASSERT_TRUE(c.RunOnce().ok());
  int merged = 0;
  for (const auto& blk : Blocks()) {
    if (blk.id == a || blk.id == b) {
      EXPECT_TRUE(blk.marked_for_deletion);
    }
    if (blk.meta.compaction.level == 2) {
      merged++;
      EXPECT_EQ(blk.meta.thanos->labels, Labels({{"cluster", "eu"}}));
      // Both replicas had identical samples: the merged block holds each once.
      EXPECT_EQ(blk.meta.stats.num_samples, 3u * 120);
    }
  }
  EXPECT_EQ(merged, 1);
}

TEST_F(BucketCompactorTest, RetentionAndPartialUploads) {
  const std::string old_block = Upload(0, 2 * kH);
  // A block kept out of compaction still expires.
  const std::string old_no_compact = Upload(4 * kH, 6 * kH, "b");
  ASSERT_TRUE(block::MarkNoCompact(*bucket_, old_no_compact, "manual", "test").ok());
  // An abandoned partial upload (ULID from long ago, no meta.json).
  const std::string partial = Ulid::New(1000).String();
  ASSERT_TRUE(bucket_->Upload(partial + "/index", "x").ok());
  opts_.retention_raw_ms = 24 * kH;  // the block's data is from 1970
  BucketCompactor c(bucket_, opts_, &registry_);
  ASSERT_TRUE(c.RunOnce().ok());
  for (const auto& b : Blocks()) {
    EXPECT_NE(b.id, partial);
    if (b.id == old_block || b.id == old_no_compact) {
      EXPECT_TRUE(b.marked_for_deletion) << b.id;
    }
  }
}

// The parts of a pass that run on their own: the progress forecast (changes nothing), retention
// (marks only) and clean-up (deletes only), as --compact.progress-interval,
// --compact.cleanup-interval and `tools bucket retention|cleanup` use them.
TEST_F(BucketCompactorTest, ProgressRetentionAndCleanUpOnTheirOwn) {
  for (int i = 0; i < 4; i++) Upload(i * 2 * kH, (i + 1) * 2 * kH);
  Upload(8 * kH, 10 * kH);
  Upload(10 * kH, 12 * kH);
  const std::string partial = Ulid::New(1000).String();
  ASSERT_TRUE(bucket_->Upload(partial + "/index", "x").ok());
  opts_.retention_raw_ms = 0;
  {
    BucketCompactor c(bucket_, opts_, &registry_);
    ASSERT_TRUE(c.UpdateProgress().ok());
    EXPECT_EQ(Metric("thanos_compact_todo_compactions"), 1);
    EXPECT_EQ(Metric("thanos_compact_todo_compaction_blocks"), 4);
    EXPECT_EQ(Metric("thanos_compact_todo_deletion_blocks"), 0);
    EXPECT_EQ(Blocks().size(), 7u);  // nothing changed, the partial upload included
  }
  opts_.retention_raw_ms = 24 * kH;  // every block's data is from 1970
  BucketCompactor expiring(bucket_, opts_, &registry_);
  ASSERT_TRUE(expiring.UpdateProgress().ok());
  EXPECT_EQ(Metric("thanos_compact_todo_deletion_blocks"), 6);
  EXPECT_EQ(Metric("thanos_compact_todo_compactions"), 0);
  ASSERT_TRUE(expiring.RetentionOnce().ok());
  auto blocks = Blocks();
  ASSERT_EQ(blocks.size(), 7u);
  for (const auto& b : blocks) EXPECT_EQ(b.marked_for_deletion, b.id != partial) << b.id;
  opts_.delete_delay_ms = 0;
  BucketCompactor cleaner(bucket_, opts_, &registry_);
  ASSERT_TRUE(cleaner.CleanUpOnce().ok());
  EXPECT_TRUE(Blocks().empty());
}

TEST_F(BucketCompactorTest, DownsamplesLongBlocksTo5mAnd1hOnce) {
  constexpr int64_t kDay = 24 * kH;
  // Just over 10 days (the last sample at 10d): a 5m copy, and a 1h copy of that.
  const std::string raw = Upload(0, 10 * kDay + 60000);
  Upload(0, 30 * kH, "b");  // under 40h: stays raw only (by_res counts it)
  BucketCompactor c(bucket_, opts_, &registry_);
  ASSERT_TRUE(c.RunOnce().ok());
  auto check = [&] {
    std::map<int64_t, int> by_res;
    for (const auto& b : Blocks()) {
      const int64_t res = b.meta.thanos->downsample_resolution;
      by_res[res]++;
      if (res == 0) continue;
      EXPECT_EQ(b.meta.compaction.sources, std::vector<Ulid>{Ulid::Parse(raw).value()});
      EXPECT_EQ(b.meta.min_time, 0);
      EXPECT_EQ(b.meta.max_time, 10 * kDay + 1);
      EXPECT_EQ(b.meta.thanos->labels.Get("replica"), "a");
      EXPECT_EQ(b.meta.thanos->source, "compactor");
      // Samples of a downsampled block: its windows (3 series; the sample at 10d opens one).
      EXPECT_EQ(b.meta.stats.num_samples, 3u * static_cast<uint64_t>(10 * kDay / res + 1)) << res;
    }
    EXPECT_EQ(by_res, (std::map<int64_t, int>{{0, 2}, {300000, 1}, {3600000, 1}}));
  };
  check();
  EXPECT_EQ(Metric("thanos_compact_downsample_total{resolution=\"0\"}"), 1);
  EXPECT_EQ(Metric("thanos_compact_downsample_total{resolution=\"300000\"}"), 1);
  // Done once: a second pass finds every source downsampled already.
  ASSERT_TRUE(c.RunOnce().ok());
  check();
  EXPECT_EQ(Metric("thanos_compact_downsample_total{resolution=\"0\"}"), 1);
  // Disabled, nothing is downsampled.
  Upload(0, 2 * kDay, "c");
  opts_.downsampling = false;
  BucketCompactor off(bucket_, opts_, &registry_);
  ASSERT_TRUE(off.RunOnce().ok());
  EXPECT_EQ(Blocks().size(), 5u);
}

TEST_F(BucketCompactorTest, CorruptBlockIsMarkedNoDownsampleAndLeftAlone) {
  const std::string id = Upload(0, 2 * 24 * kH);
  const std::string chunks = dir_.path() + "/bucket/" + id + "/chunks/000001";
  {
    std::fstream f(chunks, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x5a');
  }
  BucketCompactor c(bucket_, opts_, &registry_);
  Status st = c.RunOnce();
  EXPECT_TRUE(st.ok()) << st.ToString();  // set aside, not a failure of the pass
  auto mark = bucket_->Get(id + "/no-downsample-mark.json");
  ASSERT_TRUE(mark.ok()) << mark.status().ToString();
  EXPECT_NE(mark->find("\"reason\": \"corrupted-block\""), std::string::npos) << *mark;
  EXPECT_NE(mark->find("no_downsample_time"), std::string::npos) << *mark;
  EXPECT_EQ(Metric("thanos_compact_downsample_failures_total{resolution=\"0\"}"), 1);
  ASSERT_TRUE(c.RunOnce().ok());  // not tried again
  EXPECT_EQ(Metric("thanos_compact_downsample_failures_total{resolution=\"0\"}"), 1);
  EXPECT_EQ(Blocks().size(), 1u);
}

}  // namespace
}  // namespace strata::compact
