// The index cache in memcached (libmemcached, a pool of connections). Gets are batched
// multi-gets; sets are queued and written by a background thread, so a query never waits for
// them (as Thanos's async writes). A memcached that is down or slow turns into cache misses
// after `timeout`, never into a failed query.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "store/index_cache.h"

namespace strata::store {

struct MemcachedConfig {
  std::vector<std::string> addresses;  // host:port
  int64_t timeout_ms = 500;
  int max_idle_connections = 100;
  uint64_t max_item_size = 1 << 20;
  int max_async_buffer_size = 10000;
  int max_get_multi_batch_size = 0;  // 0 = one multi-get per Fetch
};

Result<std::unique_ptr<IndexCache>> NewMemcachedIndexCache(const MemcachedConfig& cfg,
                                                           Registry* metrics);

}  // namespace strata::store
