// The store gateway's view of a bucket: keeps the bucket's complete blocks available locally and
// serves them as a StoreAPI SeriesSource, re-syncing on demand (new blocks appear, deleted or
// deletion-marked ones go away) without interrupting queries.
//
// This first version downloads whole blocks into --data-dir; Thanos's lazy index-header and
// ranged chunk reads from the bucket come later (see docs/status.md).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "objstore/bucket.h"
#include "storeapi/source.h"

namespace strata::store {

struct BucketStoreOptions {
  std::string data_dir;
  int64_t min_time = INT64_MIN;  // --min-time / --max-time: serve only blocks overlapping
  int64_t max_time = INT64_MAX;
};

class BucketStore : public storeapi::SeriesSource {
 public:
  BucketStore(std::shared_ptr<objstore::Bucket> bucket, BucketStoreOptions opts);

  // Lists the bucket, downloads new blocks, drops vanished ones, swaps the served set.
  // Problems with single blocks are logged into the returned warnings, not fatal.
  Result<std::vector<std::string>> Sync();
  size_t NumBlocks() const;

  storeapi::SourceInfo Info() const override;
  Status Series(const Matchers& m, int64_t mint, int64_t maxt, bool skip_chunks,
                const storeapi::SeriesFn& fn) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& m, int64_t mint,
                                              int64_t maxt) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& m,
                                               int64_t mint, int64_t maxt) override;

 private:
  std::shared_ptr<storeapi::SeriesSource> Current() const;

  std::shared_ptr<objstore::Bucket> bucket_;
  BucketStoreOptions opts_;
  mutable std::mutex mu_;
  std::shared_ptr<storeapi::SeriesSource> current_;
  size_t num_blocks_ = 0;
};

}  // namespace strata::store
