// One block of the bucket as the store gateway serves it: its meta.json, an index-header in
// --data-dir (built from ranged reads of the index, loaded lazily, unloaded when idle), and
// ranged reads of postings, series and chunks from the bucket with the index cache in front.
// Nearby byte ranges are merged into one request (gaps up to 512 KiB, as Thanos). Every error
// names the block, the object and the offset.
// Thread-safety: all methods are safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "objstore/bucket.h"
#include "store/index_cache.h"
#include "storeapi/source.h"
#include "tsdb/index_header.h"
#include "tsdb/meta.h"
#include "tsdb/postings.h"

namespace strata::store {

// What one request read, for the thanos_bucket_store_series_data_* metrics and benchmarks.
struct FetchStats {
  std::atomic<uint64_t> postings_touched{0}, postings_fetched{0}, postings_bytes{0};
  std::atomic<uint64_t> series_touched{0}, series_fetched{0}, series_bytes{0};
  std::atomic<uint64_t> chunks_touched{0}, chunks_fetched{0}, chunks_bytes{0};
  std::atomic<uint64_t> requests{0};
  // --store.enable-lazy-expanded-postings: blocks where it applied, the postings bytes it did
  // not fetch, and the bytes of series fetched only to be filtered out.
  std::atomic<uint64_t> lazy_applied{0}, lazy_postings_bytes{0}, lazy_overfetched_bytes{0};
};

// A series of one block: labels (with the block's external labels), the chunks overlapping the
// request, and once loaded, their bytes (pointing into buffers owned by a ChunkBuffers).
struct BlockSeries {
  Labels labels;
  std::vector<tsdb::ChunkMeta> metas;
  std::vector<storeapi::RawChunk> chunks;
};
// A deque: growing it never moves the strings that chunk views point into.
using ChunkBuffers = std::deque<std::string>;

// Byte ranges [start, end) sorted by start, merged into parts when the gap between neighbours
// is at most max_gap. Each part lists the indexes of the ranges it covers.
struct ReadPart {
  uint64_t start = 0;
  uint64_t end = 0;
  std::vector<size_t> members;
};
std::vector<ReadPart> PartitionRanges(const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                                      uint64_t max_gap);
constexpr uint64_t kPartitionMaxGap = 512 * 1024;

// Series references as cached ExpandedPostings items: a count, then deltas (Go varints).
// Decoding refuses anything but a strictly increasing list that fills the bytes.
std::string EncodeRefs(const tsdb::Postings& refs);
Result<tsdb::Postings> DecodeRefs(std::string_view data);

class BucketBlock {
 public:
  // Builds <dir>/index-header from the bucket unless a valid one is there, and opens it. Fails
  // (with the reason) for a block whose index is missing, truncated or corrupt. With
  // lazy_header (--store.index-header-lazy-download-strategy=lazy) that waits for the block's
  // first query, which then reports such a block as unreadable.
  static Result<std::shared_ptr<BucketBlock>> Load(std::shared_ptr<objstore::Bucket> bucket,
                                                   const tsdb::BlockMeta& meta, std::string dir,
                                                   IndexCache* cache, bool lazy_header = false);

  const std::string& id() const { return id_; }
  const tsdb::BlockMeta& meta() const { return meta_; }
  // The block's Thanos external labels (empty for a plain Prometheus block).
  const Labels& external_labels() const { return ext_; }
  const std::string& dir() const { return dir_; }

  // Series matching all matchers (none on external labels) with chunks in [mint, maxt], in
  // label order, external labels added and labels named in `without` left out; chunk bytes are
  // not loaded yet.
  // With lazy_postings (--store.enable-lazy-expanded-postings), the postings of matchers that
  // would cost more to fetch than the series they could rule out are not fetched; those
  // matchers are checked on the series' labels instead.
  Result<std::vector<BlockSeries>> Select(const Matchers& matchers, int64_t mint, int64_t maxt,
                                          const std::vector<std::string>& without,
                                          FetchStats* stats, bool lazy_postings = false);
  // Loads the chunk bytes of series[from, to) into their `chunks`, keeping the bytes in *buffers.
  Status LoadChunks(std::vector<BlockSeries>& series, size_t from, size_t to, ChunkBuffers* buffers,
                    FetchStats* stats);

  Result<std::vector<std::string>> LabelNames();
  Result<std::vector<std::string>> LabelValues(const std::string& name);

  // Drops the mmaped index-header when unused for idle_ms; the next query loads it again.
  // Returns true when it unloaded.
  bool UnloadIfIdle(int64_t now_ms, int64_t idle_ms);
  bool header_loaded() const;

 private:
  BucketBlock() = default;
  Result<std::shared_ptr<const tsdb::IndexHeader>> Header();
  // The block's series references matching all matchers, and the same through the index
  // cache's ExpandedPostings items. With lazy, *lazy_matchers gets the matchers whose postings
  // were left out (the references then include series they rule out); the cache is written
  // only for exact answers.
  Result<tsdb::Postings> ExpandPostings(const tsdb::IndexHeader& h, const Matchers& matchers,
                                        FetchStats* stats, bool lazy, Matchers* lazy_matchers);
  Result<tsdb::Postings> CachedExpandPostings(const tsdb::IndexHeader& h, const Matchers& matchers,
                                              FetchStats* stats, bool lazy, Matchers* lazy_matchers,
                                              std::string* cache_key);
  // Thanos's estimate of the largest series entry, for weighing postings against series.
  uint64_t EstimatedMaxSeriesSize() const;
  Result<std::vector<tsdb::Postings>> FetchPostings(
      const tsdb::IndexHeader& h, const std::vector<std::pair<std::string, std::string>>& keys,
      FetchStats* stats);
  Result<std::vector<std::string>> FetchSeries(const std::vector<uint32_t>& refs,
                                               FetchStats* stats);
  // Reads ranges[i] for each i in `which` from the block's `object`, nearby ranges merged into
  // one request, and calls take(i, bytes); bytes may be shorter than the range at the object's
  // end. With keep, the read buffers are kept there (take may keep views into them).
  using ByteRange = std::pair<uint64_t, uint64_t>;
  using RangeFn = std::function<Status(size_t i, std::string_view bytes)>;
  Status ReadRanges(const std::string& object, const std::vector<ByteRange>& ranges,
                    std::vector<size_t> which, std::atomic<uint64_t>* bytes, FetchStats* stats,
                    ChunkBuffers* keep, const RangeFn& take);
  Result<std::string> GetRange(const std::string& object, uint64_t off, uint64_t len,
                               FetchStats* stats);
  Status Corrupt(const std::string& object, uint64_t off, const std::string& what) const;

  std::shared_ptr<objstore::Bucket> bucket_;
  IndexCache* cache_ = nullptr;
  std::string id_, dir_;
  tsdb::BlockMeta meta_;
  Labels ext_;
  uint64_t index_size_ = 0;

  mutable std::mutex mu_;
  std::shared_ptr<const tsdb::IndexHeader> header_;
  int64_t last_used_ms_ = 0;
  std::atomic<uint64_t> max_series_size_{512};
  std::atomic<uint64_t> max_chunk_size_{512};
};

}  // namespace strata::store
