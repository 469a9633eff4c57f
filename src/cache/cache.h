// A byte cache under the components' caches: the store gateway's index cache and the
// query-frontend's results cache both sit on one. Implementations: memcached (memcached.h) and
// in memory (in_memory.h).
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::cache {

class Cache {
 public:
  virtual ~Cache() = default;
  // One entry per key, in order; nullopt for a miss (absent, expired or backend down).
  virtual std::vector<std::optional<std::string>> Fetch(const std::vector<std::string>& keys) = 0;
  // Keeps value for ttl_ms (0: until evicted). May drop it (too large, cache full, backend
  // down); never fails the caller.
  virtual void Store(const std::string& key, std::string value, int64_t ttl_ms) = 0;
};

}  // namespace strata::cache
