// The store gateway: serves the blocks of a bucket over the StoreAPI without downloading them.
// Sync() lists the bucket and loads each new block (its index-header, built from ranged reads
// of the index; see bucket_block.h); Series() resolves matchers in every block of the time
// range in parallel, then streams the merged series in label order, loading chunks in
// partitioned ranged reads batch by batch, so memory stays bounded by one batch.
//
// Served: complete blocks (meta.json present) overlapping [min_time, max_time], kept by the
// relabel configs (on the block's external labels plus __block_id), older than the consistency
// delay (except compactor output), and not marked for deletion longer ago than
// ignore_deletion_marks_delay. A block whose index cannot be read is not served (counted in
// thanos_bucket_store_block_load_failures_total) and retried at the next sync; a block whose
// data turns out unreadable during a query is reported as a warning and the rest is served.
// Thread-safety: all methods are safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "block/block.h"
#include "block/select.h"
#include "objstore/bucket.h"
#include "store/bucket_block.h"
#include "store/index_cache.h"
#include "storeapi/source.h"

namespace strata::store {

struct BucketStoreOptions {
  std::string data_dir;
  // --min-time, --max-time, --selector.relabel-config: the blocks served.
  block::BlockSelector selector;
  int64_t consistency_delay_ms = 0;
  int64_t ignore_deletion_marks_delay_ms = 24 * 3600 * 1000;
  int block_sync_concurrency = 20;
  int meta_fetch_concurrency = 32;  // --block-meta-fetch-concurrency: meta.json reads at once
  // Limits per Series call (0 = none): samples (estimated from chunk headers) and series.
  uint64_t max_samples = 0;
  uint64_t max_series = 0;
  // --store.grpc.downloaded-bytes-limit: bytes of postings, series and chunks one Series call
  // may read from the bucket (index cache hits do not count).
  uint64_t max_downloaded_bytes = 0;
  // Bytes of chunk data all Series calls may hold at once (--chunk-pool-size).
  uint64_t chunk_pool_bytes = 2ull << 30;
  int64_t index_header_idle_ms = 0;  // 0: never unload
  size_t series_batch_size = 10000;
  // --store.enable-lazy-expanded-postings (see BucketBlock::Select).
  bool lazy_expanded_postings = false;
  // --store.index-header-lazy-download-strategy=lazy: index-headers are built on first use.
  bool lazy_index_header_download = false;
};

class BucketStore : public storeapi::SeriesSource {
 public:
  // cache may be null (no index cache); metrics must outlive the store.
  BucketStore(std::shared_ptr<objstore::Bucket> bucket, BucketStoreOptions opts,
              std::shared_ptr<IndexCache> cache, Registry* metrics);

  // Lists the bucket, loads new blocks, drops vanished or filtered ones, swaps the served set.
  // Problems with single blocks come back as warnings; only listing the bucket can fail.
  Result<std::vector<std::string>> Sync();
  // The block selection, for relative --min-time/--max-time; takes effect at the next Sync.
  void SetSelector(block::BlockSelector selector);
  // Unloads index-headers idle for longer than the configured timeout.
  void UnloadIdle();
  size_t NumBlocks() const;
  std::vector<std::shared_ptr<BucketBlock>> Blocks() const;

  storeapi::SourceInfo Info() const override;
  Status Series(const storeapi::SeriesQuery& q, const storeapi::SeriesFn& fn,
                const storeapi::WarningFn& warn) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& m, int64_t mint,
                                              int64_t maxt) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& m,
                                               int64_t mint, int64_t maxt) override;

 private:
  struct Metrics;
  bool Selected(const tsdb::BlockMeta& meta, int64_t deletion_time, bool marked) const;
  // The blocks to read for [mint, maxt]: per external label set, the coarsest resolution up to
  // max_resolution, gaps filled with finer ones.
  std::vector<std::shared_ptr<BucketBlock>> BlocksFor(int64_t mint, int64_t maxt,
                                                      int64_t max_resolution) const;

  std::shared_ptr<objstore::Bucket> bucket_;
  BucketStoreOptions opts_;
  block::MetaCache meta_cache_;
  std::shared_ptr<IndexCache> cache_;
  std::shared_ptr<Metrics> metrics_;
  std::atomic<uint64_t> chunk_pool_used_{0};
  mutable std::mutex selector_mu_;
  block::BlockSelector selector_;  // guarded by selector_mu_

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<BucketBlock>> blocks_;
};

}  // namespace strata::store
