// The query-frontend's results cache, as Thanos's (Cortex's): per split part, the cached
// "extents" (time ranges with their answers) of a query; a request is answered from the extents
// it overlaps, and only the ranges they miss go to the querier. Points newer than
// now - max freshness are never cached, nor are answers the querier marked no-store (partial
// answers, warnings) or queries whose @ / offset make older results change.
// Thread-safety: Get may be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/metrics.h"
#include "cache/cache.h"
#include "frontend/matrix.h"
#include "frontend/range_request.h"

namespace strata::frontend {

// An answer from the querier; no_store when it said Cache-Control: no-store.
struct Answer {
  Matrix matrix;
  bool no_store = false;
};
using QueryFn = std::function<Result<Answer>(const RangeRequest&)>;
// Runs fn(0..n-1) with bounded parallelism (the frontend's --query-range.max-query-parallelism).
using Fanout = std::function<void(size_t n, const std::function<void(size_t)>& fn)>;

struct ResultsCacheOptions {
  int64_t max_freshness_ms = 60'000;  // --query-range.response-cache-max-freshness
  SplitPolicy split;                  // for the key's interval index
  bool snappy = false;                // --cache-compression-type=snappy
  int64_t ttl_ms = 0;                 // memcached's `expiration` (0: kept until evicted)
};

class ResultsCache {
 public:
  ResultsCache(std::unique_ptr<cache::Cache> cache, ResultsCacheOptions opts, Fanout fanout);
  // The answer for r (one split part), from the cache where it can be and from `next` for the
  // rest. `bypass` (dedup=false, storeMatch[], a request saying no-store) skips the cache.
  Result<Answer> Get(const RangeRequest& r, std::string_view tenant, bool bypass,
                     const QueryFn& next);
  // Get for many parts (the split of one request), with one cache call for all of them; the
  // querier is asked, in parallel, only for what the cache misses.
  std::vector<Result<Answer>> GetAll(const std::vector<RangeRequest>& rs, std::string_view tenant,
                                     bool bypass, const QueryFn& next);

 private:
  struct Extent {
    int64_t start_ms;
    int64_t end_ms;
    Matrix matrix;
  };
  // One part's way to its answer: what the cache holds and the ranges to ask the querier for.
  struct Plan {
    std::string key;  // sealed entry key; empty when the cache is bypassed
    std::vector<Extent> extents;
    std::vector<Matrix> cached;
    std::vector<RangeRequest> missing;
  };
  std::vector<Extent> Decode(const std::string& sealed_key,
                             const std::optional<std::string>& entry);
  static void PlanFromExtents(const RangeRequest& r, std::vector<Extent> extents, Plan* plan);
  // The part's answer from the cache and the querier's answers; the merged extents saved.
  Result<Answer> Complete(const RangeRequest& r, Plan plan, std::vector<Result<Answer>> answers,
                          int64_t max_cache_time);
  void Save(const std::string& sealed_key, std::vector<Extent> extents, int64_t step_ms,
            int64_t max_cache_time_ms);

  std::unique_ptr<cache::Cache> cache_;
  ResultsCacheOptions opts_;
  Fanout fanout_;
};

}  // namespace strata::frontend
