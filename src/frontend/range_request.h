// A query_range request as the query-frontend handles it: parsed, aligned to its step, split at
// interval boundaries, keyed for the results cache and encoded again for the querier.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/labels.h"
#include "base/status.h"
#include "promql/parser.h"
#include "server/http_server.h"

namespace strata::frontend {

struct RangeRequest {
  std::string query;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  // Every other parameter (dedup, partial_response, replicaLabels[], max_source_resolution,
  // engine, lookback_delta, storeMatch[], ...), in order, passed on unchanged.
  std::vector<std::pair<std::string, std::string>> params;
  ShardInfo shard;  // vertical sharding: sent as shard_info, part of the cache key

  bool Has(std::string_view name) const;
  std::string Param(std::string_view name) const;  // the first value, or ""
  RangeRequest WithRange(int64_t start_ms, int64_t end_ms) const;
};

// start/end/step checked as Prometheus checks them (InvalidArgument with its messages); the
// query must parse. The query is rewritten as split queries need it: @ start()/@ end()
// resolved against the whole range, printed as Prometheus prints it.
Result<RangeRequest> ParseRangeRequest(const server::HttpRequest& req,
                                       const promql::ParseOptions& parse);
// The form body sent to the querier (start/end/step in seconds, as Prometheus accepts them).
std::string EncodeRangeRequest(const RangeRequest& r);

// --query-range.align-range-with-step: start and end rounded down to multiples of the step.
void AlignToStep(RangeRequest* r);

// Thanos's split: boundaries at multiples of interval_ms since the epoch; each part holds the
// request's steps in [boundary, next boundary); a lone last step joins the part before it.
// A range of more than kMaxSplitParts intervals is not split (Thanos would send a request per
// interval: 20,000 for a range from 1970 at 24h).
constexpr int64_t kMaxSplitParts = 1000;
std::vector<RangeRequest> SplitByInterval(const RangeRequest& r, int64_t interval_ms);
// The interval to split [start_ms, end_ms] at: interval_ms, or 0 (no split) when that would
// make more than kMaxSplitParts parts.
int64_t CappedSplitInterval(int64_t start_ms, int64_t end_ms, int64_t interval_ms);

// How range queries are split: at a fixed interval (--query-range.split-interval), or, when that
// is 0, at Thanos's dynamic one: max_ms for ranges of at least twice max_ms, the range divided
// into `shards` parts above min_ms, else min_ms. 0 everywhere: no split.
struct SplitPolicy {
  int64_t interval_ms = 0;
  int64_t min_ms = 0;
  int64_t max_ms = 0;
  int64_t shards = 0;
  int64_t IntervalFor(const RangeRequest& r) const;
};

// Whether an answer for r may be cached, given that data newer than max_cache_time_ms may still
// change: no @ after r's end or max_cache_time_ms, no negative offset (as Thanos).
bool QueryCacheable(const RangeRequest& r, int64_t max_cache_time_ms);

// The results cache key of a split part: tenant, query, step, the part's interval index,
// resolution, lookback, engine and replica labels (Thanos's key plus the replica labels, which
// change the answer).
std::string CacheKey(const RangeRequest& r, std::string_view tenant, int64_t interval_ms);

}  // namespace strata::frontend
