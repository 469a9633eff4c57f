// memcached as a Cache (libmemcached, a pool of connections). Gets are batched multi-gets;
// sets are queued and written by a background thread, so a request never waits for them (as
// Thanos's async writes). A memcached that is down or slow turns into misses after `timeout`,
// never into a failed request. Exports Thanos's thanos_memcached_* metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "cache/cache.h"

namespace strata::cache {

// Thanos's memcached client config (pkg/cacheutil MemcachedClientConfig).
struct MemcachedConfig {
  std::vector<std::string> addresses;  // host:port
  int64_t timeout_ms = 500;
  int max_idle_connections = 100;
  uint64_t max_item_size = 1 << 20;
  int max_async_buffer_size = 10000;
  int max_get_multi_batch_size = 0;  // 0 = one multi-get per Fetch
};

// The YAML keys of that config every user of it accepts (extra keys per user are passed in
// `also_known`). `what` names the config in errors ("index cache config (MEMCACHED)").
Result<MemcachedConfig> ParseMemcachedConfig(std::string_view config_yaml, std::string_view what,
                                             const std::set<std::string>& also_known = {});

Result<std::unique_ptr<Cache>> NewMemcached(const MemcachedConfig& cfg, Registry* metrics);

}  // namespace strata::cache
