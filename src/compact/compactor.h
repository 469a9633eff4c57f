// Thanos's compactor over a bucket: one pass applies retention, deletes blocks whose deletion
// mark is older than the delete delay, cleans up abandoned partial uploads, and compacts every
// group (blocks with equal external labels and resolution) by the leveled plan until nothing is
// left to do, then downsamples what is not downsampled yet (two rounds, so a new 5m block can
// get its 1h copy in the same pass). Each new block is uploaded (meta.json last) before its sources
// are marked for deletion, so a crash at any point loses nothing and a reader never sees a half
// block. It never halts: a block it cannot read is marked no-compact with the reason and skipped,
// and the other groups go on. Thread-safety: RunOnce must not run concurrently with itself.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "block/block.h"
#include "block/select.h"
#include "objstore/bucket.h"
#include "tsdb/meta.h"

namespace strata::compact {

struct CompactorOptions {
  std::string data_dir = "./data";                   // scratch space for downloads and output
  int64_t consistency_delay_ms = 30 * 60 * 1000;     // younger uploads may still be incomplete
  int64_t delete_delay_ms = 48 * 3600 * 1000;        // marked blocks are deleted after this
  int64_t partial_upload_age_ms = 48 * 3600 * 1000;  // older partial uploads are abandoned
  int64_t retention_raw_ms = 0;                      // 0 keeps blocks forever
  int64_t retention_5m_ms = 0;
  int64_t retention_1h_ms = 0;
  std::vector<int64_t> ranges;  // empty: DefaultRanges()
  int concurrency = 1;          // groups compacted in parallel
  // Raw blocks of at least 40h get a 5m copy, 5m blocks of at least 10 days a 1h copy.
  bool downsampling = true;
  int downsample_concurrency = 1;    // blocks downsampled in parallel
  int blocks_fetch_concurrency = 1;  // --compact.blocks-fetch-concurrency: a group's downloads
  int block_files_concurrency = 1;   // --block-files-concurrency: one block's files
  std::string hash_func;             // --hash-func: "" or "SHA256", for the blocks it uploads
  int meta_fetch_concurrency = 32;   // --block-meta-fetch-concurrency: meta.json reads
  // External labels dropped from the grouping, so the replicas of an HA pair are compacted into
  // one block (overlapping samples merged vertically, one per timestamp).
  std::vector<std::string> replica_labels;
  // --deduplication.func=penalty: replicas merged as the querier's penalty deduplication does.
  bool penalty_dedup = false;
  // --min-time, --max-time, --selector.relabel-config: the compactor sees only these blocks
  // (for compaction, downsampling, retention and deletion; partial uploads are still cleaned).
  block::BlockSelector selector;
};

class BucketCompactor {
 public:
  BucketCompactor(std::shared_ptr<objstore::Bucket> bucket, CompactorOptions opts,
                  Registry* metrics);
  ~BucketCompactor();
  // One full pass: clean-up, retention, compaction, downsampling. Failures of single blocks or
  // groups are logged, counted and do not stop the pass; the first one is returned at the end.
  Status RunOnce();
  // Parts of a pass on their own. CleanUpOnce (--compact.cleanup-interval, `tools bucket
  // cleanup`) deletes blocks whose deletion mark is older than the delete delay and abandoned
  // partial uploads; it may run while RunOnce runs. RetentionOnce (`tools bucket retention`)
  // marks blocks past their resolution's retention for deletion. DownsampleOnce (`tools bucket
  // downsample`) downsamples what is not downsampled yet.
  Status CleanUpOnce();
  Status RetentionOnce();
  Status DownsampleOnce();
  // Forecasts what a pass would do and sets the thanos_compact_todo_* gauges, without changing
  // the bucket (--compact.progress-interval). Thread-safe.
  Status UpdateProgress();
  // The metas read so far (thread-safe), for the block viewer to share.
  block::MetaCache& meta_cache() { return meta_cache_; }

 private:
  struct Metrics;
  struct Group;
  struct Survey;
  // Lists the bucket and sorts the selected blocks by what a pass does with them.
  Result<Survey> TakeSurvey();
  Status CleanUp(const Survey& s);
  Status ApplyRetention(const Survey& s);
  // The blocks to downsample next, with the resolution each gets.
  std::vector<std::pair<const tsdb::BlockMeta*, int64_t>> DownsampleTodo(
      const std::vector<block::BucketBlock>& all) const;
  Status CompactGroup(Group& g, const std::string& work_dir);
  Status DownsamplePass();
  Status DownsampleOne(const tsdb::BlockMeta& meta, int64_t resolution);

  std::shared_ptr<objstore::Bucket> bucket_;
  CompactorOptions opts_;
  block::MetaCache meta_cache_;  // a pass lists the bucket three times; each meta.json is read once
  std::unique_ptr<Metrics> m_;
  std::mutex cleanup_mu_;  // one clean-up at a time
};

}  // namespace strata::compact
