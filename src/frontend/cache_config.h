// --query-range.response-cache-config and --labels.response-cache-config: Thanos's YAML
// (type IN-MEMORY with max_size, max_size_items, validity; or MEMCACHED with the memcached
// client keys and expiration), turned into a cache with Cortex's cortex_cache_* metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/metrics.h"
#include "base/status.h"
#include "cache/cache.h"

namespace strata::frontend {

struct ResponseCache {
  std::unique_ptr<cache::Cache> cache;
  int64_t ttl_ms = 0;  // memcached's expiration (24h unless set)
};

// `what` names the flag in errors. Unknown keys and types are errors naming them.
Result<ResponseCache> NewResponseCache(std::string_view yaml, std::string_view what,
                                       Registry* metrics);

}  // namespace strata::frontend
