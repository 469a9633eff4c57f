// Prometheus's HTTP API v1 as Thanos's querier serves it: query, query_range, series, labels,
// label/<name>/values, format_query, status/buildinfo, plus Thanos's `dedup`,
// `partial_response` and `replicaLabels[]` parameters. JSON and error shapes (bad_data 400,
// execution 422, timeout 503, canceled 499, internal 500) are Prometheus's.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "promql/engine.h"
#include "query/active_queries.h"
#include "query/proxy.h"
#include "query/tenancy.h"
#include "server/http_server.h"

namespace strata::query {

struct ApiOptions {
  promql::EngineOptions engine;
  ProxyOptions proxy;
  int max_concurrent = 20;  // --query.max-concurrent
  // --query.promql-engine: the engine a query without an engine parameter asks for. Both run
  // Strata's engine; only "thanos" knows xrate/xincrease/xdelta, and only with
  // --query.enable-x-functions, as in Thanos.
  std::string default_engine = "prometheus";
  bool enable_x_functions = false;
  TenancyOptions tenancy;  // --query.tenant-*, --query.enforce-tenancy
  // --query.telemetry.*: the buckets of thanos_store_api_query_duration_seconds, and the
  // series and sample counts its series_le and samples_le labels round up to (ascending).
  std::vector<double> telemetry_duration_quantiles = {0.1, 0.25, 0.75, 1.25, 1.75, 2.5, 3, 5, 10};
  std::vector<double> telemetry_samples_quantiles = {100, 1000, 10000, 100000, 1000000};
  std::vector<double> telemetry_series_quantiles = {10, 100, 1000, 10000, 100000};
  // --query.auto-downsampling: without max_source_resolution, range queries read data of up
  // to step/5 resolution.
  bool auto_downsampling = false;
  // --query.dynamic-lookback-delta: queries over 1h data look back 1h, not 5m.
  bool dynamic_lookback_delta = true;
  int64_t instant_max_source_resolution_ms = 0;  // max_source_resolution=auto, instant queries
  // --query.metadata.default-time-range: without start/end, the series and label APIs look at
  // [now - this, now]; 0 means all time.
  int64_t metadata_default_range_ms = 0;
  std::string version;  // for status/buildinfo
  std::string revision;
  std::vector<std::pair<std::string, std::string>> flags;  // for status/flags
  Registry* metrics = nullptr;  // where the querier's metrics go (optional)
  // --query.active-query-path: queries running are listed there (optional).
  std::shared_ptr<ActiveQueries> active_queries;
};

// Registers the API handlers on router; `endpoints` picks the StoreAPI clients per request.
void RegisterApi(server::Router& router, ApiOptions opts, EndpointProvider endpoints);

}  // namespace strata::query
