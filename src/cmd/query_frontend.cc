// `strata query-frontend`: splitting, caching and retries in front of queriers, as
// `thanos query-frontend` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <yaml-cpp/yaml.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "cmd/command.h"
#include "frontend/cache_config.h"
#include "frontend/frontend.h"
#include "server/web_config.h"

namespace strata::cmd {
namespace {

struct FrontendFlags {
  RequestLoggingFlags request_logging;
  std::string http_address = "0.0.0.0:10902";
  GraceFlags grace;
  std::string http_config;
  bool web_disable_cors = false;
  std::string downstream_url = "http://localhost:9090";
  std::string tripper_config, tripper_config_file;
  bool compress_responses = false;
  std::string log_queries_longer_than = "0s";
  std::vector<std::string> forward_headers;
  std::vector<std::string> org_id_headers;
  std::string tenant_header = "THANOS-TENANT";
  std::string default_tenant = "default-tenant";
  int vertical_shards = 0;
  bool enable_x_functions = false;
  std::string cache_compression;

  std::string split_interval = "24h";
  std::string min_split_interval = "0s", max_split_interval = "0s";
  int horizontal_shards = 0;
  bool align_range_with_step = true;
  bool request_downsampled = true;
  int max_retries = 5;
  std::string max_query_length = "0s";
  int max_query_parallelism = 14;
  std::string max_freshness = "1m";
  bool partial_response = true;
  std::string cache_config, cache_config_file;

  std::string labels_split_interval = "24h";
  int labels_max_retries = 5;
  int labels_max_query_parallelism = 14;
  std::string labels_max_freshness = "1m";
  bool labels_partial_response = true;
  std::string labels_default_time_range = "24h";
  std::string labels_cache_config, labels_cache_config_file;
};

Result<int64_t> Duration(const std::string& flag, const std::string& value) {
  auto d = ParseDuration(value);
  if (!d.ok()) return d.status().WithContext("--" + flag);
  return *d;
}

// --query-frontend.downstream-tripper-config: Go's http.Transport settings. The TLS keys are
// honoured; response_header_timeout bounds each request; the connection-pool keys are accepted
// (libcurl keeps idle connections on its own and has no per-host cap).
Status ApplyTripperConfig(const std::string& yaml, frontend::FrontendOptions* o) {
  if (yaml.empty()) return Status::OK();
  try {
    YAML::Node n = YAML::Load(yaml);
    if (!n.IsMap()) return Status::InvalidArgument("downstream tripper config must be a mapping");
    for (const auto& kv : n) {
      const auto k = kv.first.as<std::string>();
      if (k == "response_header_timeout") {
        STRATA_ASSIGN_OR_RETURN(
            o->downstream_timeout_ms,
            Duration("query-frontend.downstream-tripper-config " + k, kv.second.as<std::string>()));
      } else if (k == "tls_config") {
        for (const auto& t : kv.second) {
          const auto tk = t.first.as<std::string>();
          const auto tv = t.second.as<std::string>();
          if (tk == "ca_file")
            o->downstream_tls.ca_file = tv;
          else if (tk == "cert_file")
            o->downstream_tls.cert_file = tv;
          else if (tk == "key_file")
            o->downstream_tls.key_file = tv;
          else if (tk == "server_name")
            return Status::Unsupported(
                "downstream tripper config: tls_config: server_name is not supported (the "
                "downstream URL's host is what the certificate must name)");
          else if (tk == "insecure_skip_verify")
            o->downstream_tls.insecure_skip_verify = t.second.as<bool>();
          else
            return Status::InvalidArgument(
                "downstream tripper config: tls_config: unknown field \"" + tk + "\"");
        }
      } else if (k != "idle_conn_timeout" && k != "tls_handshake_timeout" &&
                 k != "expect_continue_timeout" && k != "max_idle_conns" &&
                 k != "max_idle_conns_per_host" && k != "max_conns_per_host") {
        return Status::InvalidArgument("downstream tripper config: unknown field \"" + k + "\"");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("downstream tripper config: ") + e.what());
  }
  return Status::OK();
}

// Thanos's rules for dynamic splitting: all three flags or none, and not with a split interval.
Status CheckDynamicSplit(const frontend::SplitPolicy& p) {
  if (p.min_ms <= 0 && p.max_ms <= 0 && p.shards <= 0) return Status::OK();
  if (p.shards <= 0)
    return Status::InvalidArgument(
        "--query-range.horizontal-shards: min horizontal shards should be greater than 0 when "
        "query split threshold is enabled");
  if (p.max_ms <= 0)
    return Status::InvalidArgument(
        "--query-range.max-split-interval: max query split interval should be greater than 0 "
        "when query split threshold is enabled");
  if (p.min_ms <= 0)
    return Status::InvalidArgument(
        "--query-range.min-split-interval: min query split interval should be greater than 0 "
        "when query split threshold is enabled");
  if (p.interval_ms > 0)
    return Status::InvalidArgument(
        "--query-range.split-interval: split queries interval and dynamic query split interval "
        "cannot be set at the same time (set --query-range.split-interval=0)");
  return Status::OK();
}

// --<prefix>.response-cache-config(-file): no cache when both are empty; caching needs a split
// interval (the cache keeps answers per interval).
Result<frontend::ResponseCache> ResultsCache(const std::string& file, const std::string& content,
                                             int64_t split_interval_ms, const std::string& prefix,
                                             Registry* registry) {
  STRATA_ASSIGN_OR_RETURN(std::string yaml,
                          ReadOptionalConfig(prefix + ".response-cache-config", content, file));
  if (yaml.empty()) return frontend::ResponseCache{};
  if (split_interval_ms <= 0) {
    return Status::InvalidArgument("--" + prefix +
                                   ".split-interval: split interval should be greater than 0 "
                                   "when caching is enabled");
  }
  return frontend::NewResponseCache(yaml, "--" + prefix + ".response-cache-config", registry);
}

Status RunFrontend(const FrontendFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(const auto request_logging, f.request_logging.Load());
  if (f.downstream_url.empty())
    return Status::InvalidArgument(
        "--query-frontend.downstream-url: downstream URL should be configured");
  if (!f.cache_compression.empty() && f.cache_compression != "snappy")
    return Status::InvalidArgument("--cache-compression-type: unsupported compression type: " +
                                   f.cache_compression);
  Registry registry;
  frontend::FrontendOptions o;
  o.metrics = &registry;
  o.downstream_url = f.downstream_url;
  STRATA_ASSIGN_OR_RETURN(std::string tripper,
                          ReadOptionalConfig("query-frontend.downstream-tripper-config",
                                             f.tripper_config, f.tripper_config_file));
  STRATA_RETURN_IF_ERROR(ApplyTripperConfig(tripper, &o));
  STRATA_ASSIGN_OR_RETURN(o.split.min_ms,
                          Duration("query-range.min-split-interval", f.min_split_interval));
  STRATA_ASSIGN_OR_RETURN(o.split.max_ms,
                          Duration("query-range.max-split-interval", f.max_split_interval));
  o.split.shards = f.horizontal_shards;
  STRATA_ASSIGN_OR_RETURN(o.split.interval_ms,
                          Duration("query-range.split-interval", f.split_interval));
  STRATA_RETURN_IF_ERROR(CheckDynamicSplit(o.split));
  o.align_range_with_step = f.align_range_with_step;
  o.request_downsampled = f.request_downsampled;
  o.max_retries = f.max_retries;
  STRATA_ASSIGN_OR_RETURN(o.max_query_length_ms,
                          Duration("query-range.max-query-length", f.max_query_length));
  o.max_query_parallelism = f.max_query_parallelism;
  o.partial_response = f.partial_response;
  STRATA_ASSIGN_OR_RETURN(o.max_freshness_ms,
                          Duration("query-range.response-cache-max-freshness", f.max_freshness));
  STRATA_ASSIGN_OR_RETURN(
      frontend::ResponseCache rc,
      ResultsCache(f.cache_config_file, f.cache_config,
                   std::max(o.split.interval_ms, o.split.min_ms), "query-range", &registry));
  o.results_cache = std::move(rc.cache);
  o.cache_ttl_ms = rc.ttl_ms;
  STRATA_ASSIGN_OR_RETURN(o.labels_split_interval_ms,
                          Duration("labels.split-interval", f.labels_split_interval));
  o.labels_max_retries = f.labels_max_retries;
  o.labels_max_query_parallelism = f.labels_max_query_parallelism;
  o.labels_partial_response = f.labels_partial_response;
  STRATA_ASSIGN_OR_RETURN(o.labels_max_freshness_ms,
                          Duration("labels.response-cache-max-freshness", f.labels_max_freshness));
  STRATA_ASSIGN_OR_RETURN(o.labels_default_time_range_ms,
                          Duration("labels.default-time-range", f.labels_default_time_range));
  if (o.labels_default_time_range_ms == 0)
    return Status::InvalidArgument(
        "--labels.default-time-range: labels.default-time-range cannot be set to 0");
  STRATA_ASSIGN_OR_RETURN(frontend::ResponseCache lc,
                          ResultsCache(f.labels_cache_config_file, f.labels_cache_config,
                                       o.labels_split_interval_ms, "labels", &registry));
  o.labels_cache = std::move(lc.cache);
  o.vertical_shards = f.vertical_shards;
  o.enable_x_functions = f.enable_x_functions;
  o.snappy = f.cache_compression == "snappy";
  STRATA_ASSIGN_OR_RETURN(int64_t slow, ParseDuration(f.log_queries_longer_than.starts_with("-")
                                                          ? f.log_queries_longer_than.substr(1)
                                                          : f.log_queries_longer_than));
  o.log_queries_longer_than_ms = f.log_queries_longer_than.starts_with("-") ? -1 : slow;
  o.forward_headers = f.forward_headers;
  o.org_id_headers = f.org_id_headers;
  o.org_id_headers.push_back(f.tenant_header);
  o.tenant_header = f.tenant_header;
  o.default_tenant = f.default_tenant;

  auto router = std::make_shared<server::Router>();
  AddStatusEndpoints(
      *router, [] { return std::string(); }, registry);
  frontend::RegisterFrontend(*router, std::move(o));
  server::HttpServerOptions http;
  http.address = f.http_address;
  http.web_config_file = f.http_config;
  http.threads = 16;
  http.request_logging = request_logging;
  http.handler_name = [](std::string_view) { return std::string("query-frontend"); };
  http.metrics = &registry;
  http.tenant_of = [header = f.tenant_header,
                    fallback = f.default_tenant](const server::HttpRequest& r) {
    const std::string tenant = r.Header(header);
    return tenant.empty() ? fallback : tenant;
  };
  // gzip stays on, as in Thanos's frontend (--query-frontend.compress-responses adds nothing).
  if (!f.web_disable_cors) http.extra_headers = CorsHeaders();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> srv,
                          server::HttpServer::Start(http, router));
  log::Info("listening for HTTP", {{"address", f.http_address},
                                   {"port", std::to_string(srv->port())},
                                   {"downstream", f.downstream_url}});
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  srv->Shutdown(grace.http_ms);
  return Status::OK();
}

}  // namespace

void RegisterQueryFrontendCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<FrontendFlags>();
  CLI::App* c = app.add_subcommand(
      "query-frontend",
      "Query frontend command implements a service deployed in front of queriers to improve query "
      "parallelization and caching.");
  auto opt = [&](const char* name, auto& v, const char* help) {
    return c->add_option(name, v, help)->capture_default_str();
  };
  auto flag = [&](const char* names, bool& v, const char* help) { c->add_flag(names, v, help); };
  opt("--http-address", f->http_address, "Listen host:port for HTTP endpoints.");
  AddGraceFlags(*c, f->grace, /*grpc=*/false);
  AddRequestLoggingFlags(*c, f->request_logging);
  AddHttpConfigFlag(*c, f->http_config);
  flag("--web.disable-cors", f->web_disable_cors,
       "Whether to disable CORS headers to be set by Thanos. By default Thanos sets CORS headers "
       "to be allowed by all.");
  opt("--query-frontend.downstream-url", f->downstream_url,
      "URL of downstream Prometheus Query compatible API.");
  AddPathOrContentFlags(*c, "query-frontend.downstream-tripper-config",
                        "downstream tripper configuration.", f->tripper_config_file,
                        f->tripper_config);
  flag("--query-frontend.compress-responses", f->compress_responses, "Compress HTTP responses.");
  opt("--query-frontend.log-queries-longer-than", f->log_queries_longer_than,
      "Log queries that are slower than the specified duration. Set to 0 to disable. Set to < 0 to "
      "enable on all queries.");
  opt("--query-frontend.forward-header", f->forward_headers,
      "List of headers forwarded by the query-frontend to downstream queriers, default is empty");
  opt("--query-frontend.org-id-header", f->org_id_headers,
      "Deprecation Warning - This flag will be soon deprecated in favor of "
      "query-frontend.tenant-header and both flags cannot be used at the same time. Request header "
      "names used to identify the source of slow queries (repeated flag). The values of the header "
      "will be added to the org id field in the slow query log. If multiple headers match the "
      "request, the first matching arg specified will take precedence. If no headers match "
      "'anonymous' will be used.");
  opt("--query-frontend.tenant-header", f->tenant_header, "HTTP header to determine tenant.");
  opt("--query-frontend.default-tenant-id", f->default_tenant,
      "Default tenant ID to use if tenant header is not present.");
  opt("--query-frontend.vertical-shards", f->vertical_shards,
      "Number of shards to use when distributing shardable PromQL queries. For more details, you "
      "can refer to the Vertical query sharding proposal: "
      "https://thanos.io/tip/proposals-accepted/202205-vertical-query-sharding.md");
  flag("--query-frontend.enable-x-functions,!--no-query-frontend.enable-x-functions",
       f->enable_x_functions,
       "Enable experimental x- functions in query-frontend. --no-query-frontend.enable-x-functions "
       "for disabling.");
  opt("--cache-compression-type", f->cache_compression,
      "Use compression in results cache. Supported values are: 'snappy' and '' (disable "
      "compression).");
  opt("--query-range.split-interval", f->split_interval,
      "Split query range requests by an interval and execute in parallel, it should be greater "
      "than 0 when query-range.response-cache-config is configured.");
  opt("--query-range.min-split-interval", f->min_split_interval,
      "Split query range requests above this interval in query-range.horizontal-shards requests of "
      "equal range.");
  opt("--query-range.max-split-interval", f->max_split_interval,
      "Split query range below this interval in query-range.horizontal-shards.");
  opt("--query-range.horizontal-shards", f->horizontal_shards,
      "Split queries in this many requests when query duration is below "
      "query-range.max-split-interval.");
  flag("--query-range.align-range-with-step,!--no-query-range.align-range-with-step",
       f->align_range_with_step,
       "Mutate incoming queries to align their start and end with their step for better "
       "cache-ability.");
  flag("--query-range.request-downsampled,!--no-query-range.request-downsampled",
       f->request_downsampled,
       "Make additional query for downsampled data in case of empty or incomplete response to "
       "range request.");
  opt("--query-range.max-retries-per-request", f->max_retries,
      "Maximum number of retries for a single query range request; beyond this, the downstream "
      "error is returned.");
  opt("--query-range.max-query-length", f->max_query_length,
      "Limit the query time range (end - start time) in the query-frontend, 0 disables it.");
  opt("--query-range.max-query-parallelism", f->max_query_parallelism,
      "Maximum number of query range requests will be scheduled in parallel by the Frontend.");
  opt("--query-range.response-cache-max-freshness", f->max_freshness,
      "Most recent allowed cacheable result for query range requests, to prevent caching very "
      "recent results that might still be in flux.");
  flag("--query-range.partial-response,!--no-query-range.partial-response", f->partial_response,
       "Enable partial response for query range requests if no partial_response param is "
       "specified.");
  AddPathOrContentFlags(*c, "query-range.response-cache-config", "response cache configuration.",
                        f->cache_config_file, f->cache_config);
  opt("--labels.split-interval", f->labels_split_interval,
      "Split labels requests by an interval and execute in parallel, it should be greater than 0 "
      "when labels.response-cache-config is configured.");
  opt("--labels.max-retries-per-request", f->labels_max_retries,
      "Maximum number of retries for a single label/series API request; beyond this, the "
      "downstream error is returned.");
  opt("--labels.max-query-parallelism", f->labels_max_query_parallelism,
      "Maximum number of labels requests will be scheduled in parallel by the Frontend.");
  opt("--labels.response-cache-max-freshness", f->labels_max_freshness,
      "Most recent allowed cacheable result for labels requests, to prevent caching very recent "
      "results that might still be in flux.");
  flag("--labels.partial-response,!--no-labels.partial-response", f->labels_partial_response,
       "Enable partial response for labels requests if no partial_response param is specified.");
  opt("--labels.default-time-range", f->labels_default_time_range,
      "The default metadata time range duration for retrieving labels through Labels and Series "
      "API when the range parameters are not specified.");
  AddPathOrContentFlags(*c, "labels.response-cache-config", "response cache configuration.",
                        f->labels_cache_config_file, f->labels_cache_config);
  c->callback([f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("query-frontend", RunFrontend(*f));
  });
}

}  // namespace strata::cmd
