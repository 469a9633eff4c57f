// `strata query`: the querier. PromQL and the Prometheus HTTP API over StoreAPI endpoints,
// with HA deduplication, as `thanos query` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "base/duration.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "cmd/command.h"
#include "cmd/version.h"
#include "dedup/dedup.h"
#include "promql/json.h"
#include "query/api.h"
#include "query/endpoints.h"
#include "query/proxy_source.h"
#include "server/web_config.h"
#include "storeapi/server.h"

namespace strata::cmd {
namespace {

struct QueryFlags {
  // --query.telemetry.*, Thanos's defaults.
  std::vector<double> telemetry_duration = query::ApiOptions().telemetry_duration_quantiles;
  std::vector<double> telemetry_samples = query::ApiOptions().telemetry_samples_quantiles;
  std::vector<double> telemetry_series = query::ApiOptions().telemetry_series_quantiles;
  query::TenancyOptions tenancy;
  RequestLoggingFlags request_logging;
  storeapi::ServerTls grpc_tls;
  storeapi::ClientTls grpc_client_tls;
  std::string http_config;
  std::string http_address = "0.0.0.0:10902";
  std::string grpc_address = "0.0.0.0:10901";
  std::vector<std::string> endpoints;
  std::vector<std::string> stores;
  std::vector<std::string> sd_files;
  std::string sd_interval = "5m";
  std::string response_timeout = "0ms";
  std::vector<std::string> replica_labels;
  std::string dedup_func = "penalty";
  std::string proxy_strategy = "lazy";
  bool auto_downsampling = false;
  bool dynamic_lookback_delta = true;
  std::string instant_max_source_resolution = "0s";
  int max_concurrent_select = 4;
  std::string timeout = "2m";
  int max_concurrent = 20;
  std::string lookback_delta = "5m";
  bool partial_response = true;
  int64_t max_samples = 50'000'000;
  WebFlags web;
  std::string default_evaluation_interval = "1m";
  std::string default_step = "1s";
  std::string metadata_default_range = "0s";
  std::string grpc_compression = "none";
  std::string promql_engine = "prometheus";
  bool enable_x_functions = false;
  GraceFlags grace;
  uint64_t limit_series = 0, limit_samples = 0;  // --store.limits.request-*
  std::vector<std::string> endpoint_strict, store_strict, endpoint_groups, endpoint_groups_strict;
  std::string sd_dns_interval = "30s";
  std::string unhealthy_timeout = "5m";
  std::vector<std::string> selector_labels;
  std::vector<std::string> conn_metric_labels = {"external_labels", "store_type"};
  std::string alert_query_url;
  std::vector<std::string> features;
  std::string active_query_path;
};

// --enable-feature, as Thanos v0.34 reads it: each value whole (not split at commas).
void LogFeatures(const std::vector<std::string>& features) {
  for (const auto& f : features) {
    if (f.empty()) continue;
    if (f == "promql-at-modifier" || f == "promql-negative-offset") {
      log::Warn(
          "This option for --enable-feature is now permanently enabled and therefore a no-op.",
          {{"option", f}});
    } else if (f == "query-pushdown") {
      log::Warn(
          "query-pushdown: Strata evaluates every function in the querier over the "
          "endpoints' raw or downsampled data; nothing is pushed down to sidecars",
          {{"option", f}});
    } else {
      log::Warn("unknown --enable-feature value ignored (as Thanos ignores it)", {{"option", f}});
    }
  }
}

// thanos_store_nodes_grpc_connections: the healthy endpoints by the --query.conn-metric.label
// labels (external label sets, component type), after each endpoint refresh. A combination no
// longer seen stays at 0 (the registry does not drop children).
std::function<void(const std::vector<query::EndpointState>&)> ConnectionGauge(
    Registry& registry, const std::vector<std::string>& labels) {
  Family<Gauge>& g = registry.AddGauge(
      "thanos_store_nodes_grpc_connections",
      "Number of gRPC connection to Store APIs. Opened connection means healthy store APIs "
      "available for Querier.",
      labels);
  return [&g, labels](const std::vector<query::EndpointState>& states) {
    std::map<std::vector<std::string>, double> counts;
    for (const auto& e : states) {
      if (!e.up) continue;
      std::vector<std::string> sets;
      for (const auto& ls : e.info.label_sets) sets.push_back(ls.String());
      std::sort(sets.begin(), sets.end());
      std::string ext;
      for (const auto& s : sets) ext += (ext.empty() ? "" : ",") + s;
      std::vector<std::string> key;
      for (const auto& l : labels) {
        key.push_back(l == "store_type" ? (e.info.component_type.empty() ? "unknown-store-api"
                                                                         : e.info.component_type)
                                        : ext);
      }
      counts[key]++;
    }
    g.ForEach([](const std::vector<std::string>&, Gauge& m) { m.Set(0); });
    for (const auto& [key, n] : counts) g.WithLabelValues(key).Set(n);
  };
}

Status RunQuery(const QueryFlags& f) {
  // gRPC's default poller (epoll1) lets any idle gRPC thread, such as the StoreAPI server's,
  // pick up a Series answer and then wake the query thread waiting for it: three more context
  // switches per endpoint call, and most of a small query's cost on a VM. With "poll" the
  // waiting thread reads its own calls. Not with TLS to the endpoints: gRPC 1.51's TLS
  // handshakes stall under "poll" (no thread polls a connection being set up), as e2e.tls
  // showed. A GRPC_POLL_STRATEGY set by the user is kept.
  if (!f.grpc_client_tls.secure) setenv("GRPC_POLL_STRATEGY", "poll", /*overwrite=*/0);
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(const auto request_logging, f.request_logging.Load());
  STRATA_RETURN_IF_ERROR(f.grpc_tls.Validate());
  query::ApiOptions opts;
  STRATA_ASSIGN_OR_RETURN(int64_t timeout, ParseDuration(f.timeout));
  opts.engine.timeout = std::chrono::milliseconds(timeout);
  STRATA_ASSIGN_OR_RETURN(opts.engine.lookback_delta_ms, ParseDuration(f.lookback_delta));
  opts.engine.max_samples = f.max_samples;
  STRATA_ASSIGN_OR_RETURN(opts.engine.default_subquery_step_ms,
                          ParseDuration(f.default_evaluation_interval));
  if (opts.engine.default_subquery_step_ms <= 0)
    return Status::InvalidArgument("--query.default-evaluation-interval must be positive");
  STRATA_ASSIGN_OR_RETURN(int64_t default_step_ms, ParseDuration(f.default_step));
  STRATA_ASSIGN_OR_RETURN(opts.metadata_default_range_ms, ParseDuration(f.metadata_default_range));
  if (f.grpc_compression != "none") {
    return Status::Unsupported("--grpc-compression=" + f.grpc_compression +
                               ": Strata's gRPC client has no snappy compressor; use none");
  }
  opts.max_concurrent = f.max_concurrent;
  opts.auto_downsampling = f.auto_downsampling;
  opts.dynamic_lookback_delta = f.dynamic_lookback_delta;
  opts.default_engine = f.promql_engine;
  opts.enable_x_functions = f.enable_x_functions;
  opts.telemetry_duration_quantiles = f.telemetry_duration;
  opts.telemetry_samples_quantiles = f.telemetry_samples;
  opts.telemetry_series_quantiles = f.telemetry_series;
  opts.tenancy = f.tenancy;
  for (auto* q : {&opts.telemetry_duration_quantiles, &opts.telemetry_samples_quantiles,
                  &opts.telemetry_series_quantiles}) {
    std::sort(q->begin(), q->end());
  }
  if (!IsValidLabelName(f.tenancy.label))
    return Status::InvalidArgument("--query.tenant-label-name: \"" + f.tenancy.label +
                                   "\" is not a label name");
  STRATA_ASSIGN_OR_RETURN(opts.instant_max_source_resolution_ms,
                          ParseDuration(f.instant_max_source_resolution));
  opts.proxy.replica_labels = f.replica_labels;
  STRATA_ASSIGN_OR_RETURN(opts.proxy.dedup_algorithm, dedup::ParseAlgorithm(f.dedup_func));
  if (f.proxy_strategy != "lazy" && f.proxy_strategy != "eager")
    return Status::InvalidArgument("--grpc.proxy-strategy: \"" + f.proxy_strategy +
                                   "\" is not a strategy (lazy or eager)");
  opts.proxy.eager = f.proxy_strategy == "eager";
  opts.proxy.partial_response = f.partial_response;
  STRATA_ASSIGN_OR_RETURN(opts.proxy.response_timeout_ms, ParseDuration(f.response_timeout));
  opts.version = Version();
  opts.revision = Revision();
  Registry registry;
  opts.metrics = &registry;
  opts.flags = {{"http-address", f.http_address},
                {"query.timeout", f.timeout},
                {"query.max-concurrent", std::to_string(f.max_concurrent)},
                {"query.lookback-delta", f.lookback_delta},
                {"query.partial-response", f.partial_response ? "true" : "false"}};
  for (const auto& r : f.replica_labels) opts.flags.push_back({"query.replica-label", r});
  opts.flags.push_back({"deduplication.func", f.dedup_func});
  opts.flags.push_back({"grpc.proxy-strategy", f.proxy_strategy});
  opts.flags.push_back({"query.default-evaluation-interval", f.default_evaluation_interval});
  opts.flags.push_back({"query.default-step", f.default_step});
  opts.flags.push_back({"query.metadata.default-time-range", f.metadata_default_range});
  opts.flags.push_back({"query.promql-engine", f.promql_engine});
  opts.flags.push_back({"query.enable-x-functions", f.enable_x_functions ? "true" : "false"});
  opts.flags.push_back({"web.route-prefix", f.web.route_prefix});
  opts.flags.push_back({"web.external-prefix", f.web.external_prefix});
  opts.flags.push_back({"web.prefix-header", f.web.prefix_header});
  // Thanos's default: the querier's own HTTP port on localhost. Used by Thanos's Alerts page
  // only, which Strata's UI does not have (docs/web-ui.md); listed on the Flags page.
  opts.flags.push_back(
      {"alert.query-url",
       f.alert_query_url.empty()
           ? "http://localhost:" + f.http_address.substr(f.http_address.rfind(':') + 1)
           : f.alert_query_url});
  for (const auto& l : f.selector_labels) opts.flags.push_back({"selector-label", l});

  std::vector<std::string> specs = f.endpoints;
  specs.insert(specs.end(), f.stores.begin(), f.stores.end());
  query::EndpointPolicy policy;
  policy.strict = f.store_strict;
  policy.strict.insert(policy.strict.end(), f.endpoint_strict.begin(), f.endpoint_strict.end());
  policy.groups = f.endpoint_groups;
  policy.strict_groups = f.endpoint_groups_strict;
  STRATA_ASSIGN_OR_RETURN(int64_t dns_interval, ParseDuration(f.sd_dns_interval));
  policy.dns_interval = std::chrono::milliseconds(dns_interval);
  STRATA_ASSIGN_OR_RETURN(int64_t unhealthy, ParseDuration(f.unhealthy_timeout));
  policy.unhealthy_timeout = std::chrono::milliseconds(unhealthy);
  if (std::set<std::string>(f.conn_metric_labels.begin(), f.conn_metric_labels.end()).size() !=
      f.conn_metric_labels.size())
    return Status::InvalidArgument("--query.conn-metric.label: a label is given twice");
  policy.on_refresh = ConnectionGauge(registry, f.conn_metric_labels);
  STRATA_ASSIGN_OR_RETURN(Labels selector_labels,
                          ParseLabelFlags("--selector-label", f.selector_labels));
  opts.proxy.selector_labels = selector_labels;
  LogFeatures(f.features);
  if (!f.active_query_path.empty()) {
    STRATA_ASSIGN_OR_RETURN(opts.active_queries,
                            query::ActiveQueries::Open(f.active_query_path, f.max_concurrent));
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<query::EndpointSet> endpoints,
                          query::EndpointSet::Make(specs, std::chrono::seconds(5), f.sd_files,
                                                   f.grpc_client_tls, std::move(policy)));
  endpoints->Refresh();
  endpoints->Start(std::chrono::seconds(5));
  // The querier's own StoreAPI, so queriers can be stacked.
  storeapi::ServerOptions so;
  so.address = f.grpc_address;
  so.tls = f.grpc_tls;
  so.max_connection_age_ms = grace.max_connection_age_ms;
  so.component_type = "query";
  so.max_series = f.limit_series;
  so.max_samples = f.limit_samples;
  so.metrics = &registry;
  so.request_logging = request_logging;
  so.log_component = "query";
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<storeapi::StoreServer> grpc,
      storeapi::StoreServer::Start(so, query::NewProxySource(endpoints, selector_labels)));
  auto router = std::make_shared<server::Router>();
  query::RegisterApi(*router, opts, [endpoints](int64_t mint, int64_t maxt, const Matchers& m) {
    return endpoints->Select(mint, maxt, m);
  });
  // Thanos's endpoint status (the UI's Stores page), grouped by component type: name, health,
  // time range, label sets.
  router->Handle("/api/v1/stores", [endpoints](const server::HttpRequest&) {
    std::map<std::string, std::string> groups;
    for (const auto& e : endpoints->States()) {
      std::string& g = groups[e.info.component_type.empty() ? "store" : e.info.component_type];
      g += g.empty() ? "[" : ",";
      g += "{\"name\":";
      promql::AppendJsonString(&g, e.address);
      g += ",\"lastCheck\":";
      // Go's zero time.Time, as Thanos prints an endpoint not checked yet.
      promql::AppendJsonString(
          &g, e.last_check_ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339Ms(e.last_check_ms));
      g += ",\"lastError\":";
      if (e.up) {
        g += "null";
      } else {
        promql::AppendJsonString(&g, e.last_error);
      }
      g += ",\"labelSets\":[";
      for (size_t i = 0; i < e.info.label_sets.size(); i++) {
        if (i > 0) g += ",";
        promql::AppendJsonLabels(&g, e.info.label_sets[i]);
      }
      g += "],\"minTime\":" + std::to_string(e.info.min_time) +
           ",\"maxTime\":" + std::to_string(e.info.max_time) + "}";
    }
    std::string data;
    for (auto& [type, list] : groups) {
      data += data.empty() ? "{" : ",";
      promql::AppendJsonString(&data, type);
      data += ":" + list + "]";
    }
    if (data.empty()) data = "{";
    return server::HttpResponse{
        200, "application/json", "{\"status\":\"success\",\"data\":" + data + "}}", {}};
  });
  AddStatusEndpoints(
      *router, [] { return std::string(); }, registry);
  server::HttpServerOptions http;
  http.address = f.http_address;
  http.web_config_file = f.http_config;
  http.threads = std::max(4, f.max_concurrent + 2);
  http.request_logging = request_logging;
  http.handler_name = ApiHandlerName;  // the API only, as Thanos (not the UI)
  http.metrics = &registry;
  http.tenant_of = [t = f.tenancy](const server::HttpRequest& r) {
    return query::MetricTenant(t, r);
  };
  ApplyWebFlags(f.web, "query", *router, http, default_step_ms);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> srv,
                          server::HttpServer::Start(http, router));
  for (const auto& e : endpoints->States()) {
    log::Info("endpoint",
              {{"address", e.address}, {"up", e.up ? "true" : "false"}, {"err", e.last_error}});
  }
  log::Info("listening for HTTP",
            {{"address", f.http_address}, {"port", std::to_string(srv->port())}});
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  srv->Shutdown(grace.http_ms);
  grpc->Shutdown(grace.grpc_ms);
  return Status::OK();
}

}  // namespace

void RegisterQueryCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<QueryFlags>();
  CLI::App* q =
      app.add_subcommand("query",
                         "Query node exposing PromQL enabled Query API with data retrieved from "
                         "multiple store nodes.");
  q->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  q->add_option(
       "--grpc-address", f->grpc_address,
       "Listen ip:port address for gRPC endpoints (the querier's own StoreAPI, for stacking).")
      ->capture_default_str();
  AddGrpcServerTlsFlags(*q, f->grpc_tls);
  AddHttpConfigFlag(*q, f->http_config);
  AddGrpcClientTlsFlags(*q, f->grpc_client_tls);
  q->add_option("--endpoint", f->endpoints, "Address of an API to query (host:port). Repeatable.");
  q->add_option("--store", f->stores,
                "Deprecation warning: use --endpoint. Address of a StoreAPI (host:port).");
  q->add_option("--store.sd-files", f->sd_files,
                "Path (or glob) of file_sd YAML/JSON files listing StoreAPI endpoints. Repeatable; "
                "re-read on every endpoint refresh (every 5s).");
  q->add_option("--endpoint-strict", f->endpoint_strict,
                "Addresses of only statically configured Thanos API servers that are always used, "
                "even if the health check fails. Useful if you have a caching layer on top.");
  q->add_option("--store-strict", f->store_strict,
                "Deprecation Warning - This flag is deprecated and replaced with "
                "`endpoint-strict`. Addresses of only statically configured store API servers "
                "that are always used, even if the health check fails.");
  q->add_option("--endpoint-group", f->endpoint_groups,
                "Experimental: DNS name of statically configured Thanos API server groups "
                "(repeatable). Targets resolved from the DNS name will be queried in a "
                "round-robin, instead of a fanout manner. This flag should be used when "
                "connecting a Thanos Query to HA groups of Thanos components.");
  q->add_option("--endpoint-group-strict", f->endpoint_groups_strict,
                "Experimental: DNS name of statically configured Thanos API server groups "
                "(repeatable) that are always used, even if the health check fails.");
  q->add_option("--store.sd-dns-interval", f->sd_dns_interval, "Interval between DNS resolutions.")
      ->capture_default_str();
  q->add_option("--store.unhealthy-timeout", f->unhealthy_timeout,
                "Timeout before an unhealthy store is cleaned from the store UI page (and no "
                "longer queried until it is healthy again).")
      ->capture_default_str();
  q->add_option("--selector-label", f->selector_labels,
                "Query selector labels that will be exposed in info endpoint (repeated).");
  q->add_option("--query.conn-metric.label", f->conn_metric_labels,
                "Optional selection of query connection metric labels to be collected from "
                "endpoint set")
      ->capture_default_str()
      ->check(CLI::IsMember({"external_labels", "store_type"}));
  q->add_option("--alert.query-url", f->alert_query_url,
                "The external Thanos Query URL that would be set in all alerts 'Source' field.");
  q->add_option("--query.active-query-path", f->active_query_path,
                "Directory to log currently active queries in the queries.active file.");
  q->add_option("--enable-feature", f->features,
                "Comma separated experimental feature names to enable. The current list of "
                "features is query-pushdown (Strata: accepted, nothing is pushed down; results "
                "are those of the querier's own evaluation).");
  q->add_option("--store.response-timeout", f->response_timeout,
                "If a Store doesn't send any data in this specified duration then a Store will be "
                "ignored and partial data will be returned if it's enabled. 0 disables timeout.")
      ->capture_default_str();
  q->add_option("--store.sd-interval", f->sd_interval,
                "Accepted for compatibility: the files are re-read every 5s anyway.")
      ->capture_default_str();
  q->add_option(
      "--query.replica-label", f->replica_labels,
      "Labels to treat as replica indicators along which data is deduplicated. Repeatable.");
  q->add_option("--deduplication.func", f->dedup_func,
                "How replicas are merged: penalty (one replica at a time, switching after a gap) "
                "or chain (every sample of every replica, one per timestamp).")
      ->capture_default_str();
  q->add_option("--grpc.proxy-strategy", f->proxy_strategy,
                "How endpoints' answers are read: lazy (merged and deduplicated as they stream) "
                "or eager (each read whole and sorted first, Thanos's default).")
      ->capture_default_str();
  q->add_option("--query.timeout", f->timeout, "Maximum time to process a query.")
      ->capture_default_str();
  q->add_option("--query.max-concurrent", f->max_concurrent,
                "Maximum number of queries processed concurrently.")
      ->capture_default_str();
  q->add_option("--query.lookback-delta", f->lookback_delta,
                "The maximum lookback duration for retrieving metrics.")
      ->capture_default_str();
  q->add_flag("--query.partial-response,!--no-query.partial-response", f->partial_response,
              "Enable partial response for queries if no partial_response param is specified.");
  q->add_option("--query.max-samples", f->max_samples,
                "Maximum number of samples a single query can load.")
      ->capture_default_str();
  q->add_flag("--query.auto-downsampling", f->auto_downsampling,
              "Enable automatic adjustment (step / 5) to what source of data should be used in "
              "store gateways if no max_source_resolution param is specified.");
  q->add_flag("--query.dynamic-lookback-delta,!--no-query.dynamic-lookback-delta",
              f->dynamic_lookback_delta,
              "Allow for larger lookback duration for queries based on resolution.");
  q->add_option("--query.default-instant-query-max-source-resolution",
                f->instant_max_source_resolution,
                "The default value for max_source_resolution for instant queries. If not set, "
                "defaults to 0s only taking raw resolution into account.")
      ->capture_default_str();
  q->add_option("--query.default-evaluation-interval", f->default_evaluation_interval,
                "Set default evaluation interval for sub queries.")
      ->capture_default_str();
  q->add_option("--query.default-step", f->default_step,
                "Set default step for range queries. Default step is only used when step is not "
                "set in UI. In such cases, Thanos UI will use default step to calculate resolution "
                "(resolution = max(rangeSeconds / 250, defaultStep)). This will not work from "
                "Grafana, but Grafana has __step variable which can be used.")
      ->capture_default_str();
  q->add_option("--query.metadata.default-time-range", f->metadata_default_range,
                "The default metadata time range duration for retrieving labels through Labels "
                "and Series API when the range parameters are not specified. The zero value means "
                "range covers the time since the beginning.")
      ->capture_default_str();
  q->add_option("--grpc-compression", f->grpc_compression,
                "Compression algorithm to use for gRPC requests to other clients. Must be one of: "
                "snappy, none (Strata: none only).")
      ->capture_default_str()
      ->check(CLI::IsMember({"snappy", "none"}));
  q->add_option("--query.promql-engine", f->promql_engine,
                "Default PromQL engine to use: prometheus or thanos. Both mean Strata's engine, "
                "which follows Prometheus's semantics (as the engine request parameter does); "
                "thanos also knows the x-functions with --query.enable-x-functions.")
      ->capture_default_str()
      ->check(CLI::IsMember({"prometheus", "thanos"}));
  q->add_flag("--query.enable-x-functions,!--no-query.enable-x-functions", f->enable_x_functions,
              "Whether to enable extended rate functions (xrate, xincrease and xdelta). Only has "
              "effect when used with Thanos engine.");
  AddWebFlags(*q, f->web, /*route_prefix=*/true, /*disable=*/false);
  // Accepted so Thanos manifests start unchanged.
  q->add_option("--query.max-concurrent-select", f->max_concurrent_select,
                "Accepted; the engine issues one Select at a time per query, within any bound.")
      ->capture_default_str();
  AddGraceFlags(*q, f->grace, /*grpc=*/true);
  AddRequestLoggingFlags(*q, f->request_logging);
  q->add_option("--query.telemetry.request-duration-seconds-quantiles", f->telemetry_duration,
                "The quantiles for exporting metrics about the request duration quantiles.")
      ->capture_default_str();
  q->add_option("--query.telemetry.request-samples-quantiles", f->telemetry_samples,
                "The quantiles for exporting metrics about the samples count quantiles.")
      ->capture_default_str();
  q->add_option("--query.telemetry.request-series-seconds-quantiles", f->telemetry_series,
                "The quantiles for exporting metrics about the series count quantiles.")
      ->capture_default_str();
  q->add_option("--query.tenant-header", f->tenancy.header, "HTTP header to determine tenant.")
      ->capture_default_str();
  q->add_option("--query.default-tenant-id", f->tenancy.default_tenant,
                "Default tenant ID to use if tenant header is not present")
      ->capture_default_str();
  q->add_option("--query.tenant-certificate-field", f->tenancy.cert_field,
                "Use TLS client's certificate field to determine tenant for write requests. Must "
                "be one of organization, organizationalUnit or commonName. This setting will "
                "cause the query.tenant-header flag value to be ignored.")
      ->check(CLI::IsMember({"", "organization", "organizationalUnit", "commonName"}));
  q->add_flag("--query.enforce-tenancy,!--no-query.enforce-tenancy", f->tenancy.enforce,
              "Enforce tenancy on Query APIs. Responses are returned only if the label value of "
              "the configured tenant-label-name and the value of the tenant header matches.");
  q->add_option("--query.tenant-label-name", f->tenancy.label,
                "Label name to use when enforcing tenancy (if --query.enforce-tenancy is enabled).")
      ->capture_default_str();
  AddStoreApiLimitFlags(*q, f->limit_series, f->limit_samples);
  q->callback([f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("query", RunQuery(*f));
  });
}

}  // namespace strata::cmd
