// The query-frontend's label names, label values and series requests, as Thanos's labels
// tripperware: a missing range becomes the last --labels.default-time-range, the range is split
// into --labels.split-interval chunks asked in parallel (with retries), and the answers are
// merged (names and values: sorted union; series: each label set once, in label order). Ranges
// of more than kMaxSplitParts intervals go to the querier in one request.
// Chunks older than the max freshness are cached whole when a labels cache is configured.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "cache/cache.h"
#include "frontend/downstream.h"
#include "frontend/results_cache.h"
#include "server/http_server.h"

namespace strata::frontend {

struct LabelsOptions {
  int64_t split_interval_ms = 24 * 3600 * 1000;
  int max_retries = 5;
  bool partial_response = true;
  int64_t default_time_range_ms = 24 * 3600 * 1000;
  int64_t max_freshness_ms = 60'000;
  bool snappy = false;
};

class LabelsHandler {
 public:
  LabelsHandler(LabelsOptions opts, std::unique_ptr<cache::Cache> cache, Downstream* downstream,
                Fanout fanout, Family<Counter>* split_queries);
  // Label names when name is empty, else that label's values.
  server::HttpResponse Labels(const server::HttpRequest& req, const std::string& name,
                              CallContext& ctx);
  server::HttpResponse Series(const server::HttpRequest& req, CallContext& ctx);

 private:
  struct Chunk;
  server::HttpResponse Run(const server::HttpRequest& req, const std::string& method,
                           const std::string& path, bool series, CallContext& ctx);

  LabelsOptions opts_;
  std::unique_ptr<cache::Cache> cache_;
  Downstream* downstream_;
  Fanout fanout_;
  Counter* split_queries_;
};

}  // namespace strata::frontend
