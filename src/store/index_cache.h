// The store gateway's index cache: postings lists and series entries read from blocks' indexes
// in the bucket, so repeated queries skip those ranged reads. Values are the bytes as stored in
// the index. Implementations: an in-memory LRU and memcached (cache/memcached.h). Both count
// requests and hits per item type with Thanos's metric names.
//
// --index-cache.config (Thanos's YAML):
//   type: IN-MEMORY            config: {max_size: 250MB, max_item_size: 125MB, enabled_items: []}
//   (enabled_items: the item types cached, of Postings, Series, ExpandedPostings; empty: all)
//   type: MEMCACHED            config: {addresses: [host:port], timeout: 500ms,
//                                       max_idle_connections: 100, max_item_size: 1MiB,
//                                       max_async_concurrency: 20, max_async_buffer_size: 10000,
//                                       max_get_multi_batch_size: 0, ...}
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"

namespace strata::store {

// Postings lists and series entries as the index stores them, and a block's series references
// for one set of matchers (Thanos's "ExpandedPostings": the intersected result, so a repeated
// query skips the label-value scans, postings lookups and merges).
enum class CacheItem { kPostings, kSeries, kExpandedPostings };
// "Postings", "Series", "ExpandedPostings" (Thanos's item_type values and enabled_items names)
const char* CacheItemName(CacheItem item);

class IndexCache {
 public:
  virtual ~IndexCache() = default;
  // One entry per key, in order; nullopt for a miss.
  virtual std::vector<std::optional<std::string>> Fetch(CacheItem item,
                                                        const std::vector<std::string>& keys) = 0;
  // May drop the value (too large, cache full, backend down); never fails the caller.
  virtual void Store(CacheItem item, const std::string& key, std::string value) = 0;
};

// Cache keys: block ULID plus a digest of the label pair, or the series reference. Prefixed
// with "strata:" so a memcached shared with Thanos (whose values are encoded differently) is
// never misread.
std::string PostingsCacheKey(std::string_view block, std::string_view name, std::string_view value);
std::string SeriesCacheKey(std::string_view block, uint32_t ref);
// `matchers` is the matchers' canonical text (sorted, one per line).
std::string ExpandedPostingsCacheKey(std::string_view block, std::string_view matchers);

// Thanos's in-memory cache: least recently used items are evicted beyond max_size bytes;
// items above max_item_size are not stored.
std::unique_ptr<IndexCache> NewInMemoryIndexCache(uint64_t max_size, uint64_t max_item_size,
                                                  Registry* metrics);

// Builds the cache from --index-cache.config; empty YAML means IN-MEMORY with max_size
// default_size (--index-cache-size). Unknown keys or types are errors.
Result<std::unique_ptr<IndexCache>> NewIndexCacheFromConfig(std::string_view yaml,
                                                            uint64_t default_size,
                                                            Registry* metrics);

}  // namespace strata::store
