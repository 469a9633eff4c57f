// `strata query-frontend`'s request handling, as Thanos v0.34's query-frontend: range queries
// are checked against the maximum query length, aligned to their step, split at interval
// boundaries, answered part by part from the results cache and the querier (with retries and
// bounded parallelism) and merged into the answer the querier would have given for the whole
// range; label and series requests are split by their own interval and merged; every other
// path goes to the querier unchanged.
// Thread-safety: the registered handlers may run on many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "cache/cache.h"
#include "frontend/range_request.h"
#include "httpclient/http_client.h"
#include "server/http_server.h"

namespace strata::frontend {

struct FrontendOptions {
  std::string downstream_url = "http://localhost:9090";
  http::ClientConfig downstream_tls;  // tls_config of --query-frontend.downstream-tripper-config
  int64_t downstream_timeout_ms = 10 * 60 * 1000;

  // --query-range.*
  SplitPolicy split{.interval_ms = 24 * 3600 * 1000};
  bool align_range_with_step = true;
  bool request_downsampled = true;
  int max_retries = 5;
  int64_t max_query_length_ms = 0;
  int max_query_parallelism = 14;
  bool partial_response = true;
  std::unique_ptr<cache::Cache> results_cache;  // null: nothing is cached
  int64_t max_freshness_ms = 60'000;
  int64_t cache_ttl_ms = 0;

  // --labels.*
  int64_t labels_split_interval_ms = 24 * 3600 * 1000;
  int labels_max_retries = 5;
  int labels_max_query_parallelism = 14;
  bool labels_partial_response = true;
  int64_t labels_default_time_range_ms = 24 * 3600 * 1000;
  std::unique_ptr<cache::Cache> labels_cache;
  int64_t labels_max_freshness_ms = 60'000;

  int vertical_shards = 0;                   // --query-frontend.vertical-shards
  bool enable_x_functions = false;           // --query-frontend.enable-x-functions
  bool snappy = false;                       // --cache-compression-type=snappy
  int64_t log_queries_longer_than_ms = 0;    // 0 off, < 0 every query
  std::vector<std::string> forward_headers;  // --query-frontend.forward-header
  std::vector<std::string> org_id_headers;   // --query-frontend.org-id-header
  std::string tenant_header = "THANOS-TENANT";
  std::string default_tenant = "default-tenant";
  Registry* metrics = nullptr;
};

// Registers the API handlers (and the pass-through for every other path) on router.
void RegisterFrontend(server::Router& router, FrontendOptions opts);

}  // namespace strata::frontend
