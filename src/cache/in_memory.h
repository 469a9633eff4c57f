// An in-memory Cache as Cortex's FIFO cache under Thanos's query-frontend: bounded by bytes
// and/or items, oldest insertion evicted first, entries older than `validity` (or their own
// TTL) are misses. Exports querier_cache_* metrics with cache="<name>", as Cortex does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "cache/cache.h"

namespace strata::cache {

struct InMemoryConfig {
  uint64_t max_size_bytes = 0;  // 0: unbounded by size
  int64_t max_size_items = 0;   // 0: unbounded by count
  int64_t validity_ms = 0;      // 0: entries stay valid until evicted
};

// Neither bound set gives a cache that keeps nothing, as Cortex's (which warns and disables it).
std::unique_ptr<Cache> NewInMemory(const InMemoryConfig& cfg, const std::string& name,
                                   Registry* metrics);

}  // namespace strata::cache
