// Helpers shared by the subcommand files: object storage flags, status endpoints, times,
// periodic work.
#include <CLI/CLI.hpp>

#include <set>

#include "base/duration.h"
#include "base/env.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "cmd/command.h"
#include "objstore/config.h"
#include "relabel/relabel.h"
#include "server/http_server.h"
#include "ui/blocks_api.h"
#include "ui/ui.h"

namespace strata::cmd {

void AddObjstoreFlags(CLI::App& cmd, ObjstoreFlags& f) {
  const std::string what =
      f.name == "objstore" ? "object store" : "object store " + f.name.substr(9);
  cmd.add_option("--" + f.name + ".config-file", f.file,
                 "Path to YAML file that contains " + what + " configuration.");
  cmd.add_option(
      "--" + f.name + ".config", f.content,
      "Alternative to '" + f.name + ".config-file' flag: " + what + " configuration in YAML.");
}

Result<std::unique_ptr<objstore::Bucket>> OpenBucket(const ObjstoreFlags& f, Registry* metrics) {
  std::string yaml;
  if (f.name == "objstore") {
    STRATA_ASSIGN_OR_RETURN(yaml, objstore::ReadObjstoreConfigFlags(f.file, f.content));
  } else {
    STRATA_ASSIGN_OR_RETURN(yaml, ReadOptionalConfig(f.name + ".config", f.content, f.file));
  }
  return objstore::NewBucketFromConfig(yaml, metrics);
}

void AddStoreApiLimitFlags(CLI::App& cmd, uint64_t& max_series, uint64_t& max_samples) {
  cmd.add_option("--store.limits.request-series", max_series,
                 "The maximum series allowed for a single Series request. The Series call fails "
                 "if this limit is exceeded. 0 means no limit.")
      ->capture_default_str();
  cmd.add_option("--store.limits.request-samples", max_samples,
                 "The maximum samples allowed for a single Series request, The Series call fails "
                 "if this limit is exceeded. 0 means no limit. NOTE: For efficiency the limit is "
                 "internally implemented as 'chunks limit' considering each chunk contains a "
                 "maximum of 120 samples.")
      ->capture_default_str();
}

void AddGrpcServerTlsFlags(CLI::App& cmd, storeapi::ServerTls& tls) {
  cmd.add_option("--grpc-server-tls-cert", tls.cert_file,
                 "TLS certificate (PEM, may be a chain) of the gRPC server; unset: no TLS. "
                 "Re-read when the file changes.");
  cmd.add_option("--grpc-server-tls-key", tls.key_file,
                 "TLS key of the gRPC server's certificate; unset: no TLS.");
  cmd.add_option("--grpc-server-tls-client-ca", tls.client_ca_file,
                 "CA that gRPC clients' certificates must be signed by; unset: clients are not "
                 "asked for a certificate.");
  cmd.add_option("--grpc-server-tls-min-version", tls.min_version,
                 "Lowest TLS version for the gRPC server: 1.0, 1.1, 1.2 or 1.3. The gRPC library "
                 "serves TLS 1.2 and 1.3 only (1.3 whenever the client offers it).")
      ->capture_default_str();
}

void AddGrpcClientTlsFlags(CLI::App& cmd, storeapi::ClientTls& tls) {
  cmd.add_flag("--grpc-client-tls-secure", tls.secure, "Dial StoreAPI endpoints with TLS.");
  cmd.add_flag("--grpc-client-tls-skip-verify", tls.skip_verify,
               "Accept any server certificate (self-signed, unknown CA, other name). Unsafe.");
  cmd.add_option("--grpc-client-tls-cert", tls.cert_file,
                 "TLS certificate that identifies this client to the endpoints (mTLS).");
  cmd.add_option("--grpc-client-tls-key", tls.key_file, "TLS key of the client certificate.");
  cmd.add_option("--grpc-client-tls-ca", tls.ca_file,
                 "CA the endpoints' certificates must be signed by; unset: the system's roots.");
  cmd.add_option("--grpc-client-server-name", tls.server_name,
                 "Name expected in the endpoints' certificates instead of the dialled host.");
}

void AddHttpConfigFlag(CLI::App& cmd, std::string& path) {
  cmd.add_option("--http.config", path,
                 "Path to a Prometheus web config file (tls_server_config, basic_auth_users, "
                 "http_server_config.headers) that secures every HTTP endpoint. Re-read when "
                 "it changes.");
}

void AddPathOrContentFlags(CLI::App& cmd, const std::string& flag, const std::string& what,
                           std::string& file, std::string& content) {
  cmd.add_option("--" + flag + "-file", file, "Path to YAML file that contains " + what);
  cmd.add_option("--" + flag, content,
                 "Alternative to '" + flag +
                     "-file' flag (mutually exclusive). Content of YAML file that contains " +
                     what);
}

void AddRequestLoggingFlags(CLI::App& cmd, RequestLoggingFlags& f) {
  AddPathOrContentFlags(cmd, "request.logging-config",
                        "request logging configuration. See format details: "
                        "https://thanos.io/tip/thanos/logging.md/#configuration",
                        f.file, f.content);
}

Result<std::shared_ptr<const server::RequestLogging>> RequestLoggingFlags::Load() const {
  auto yaml = ReadOptionalConfig("request.logging-config", content, file);
  if (!yaml.ok()) return yaml.status().WithContext("getting request logging config failed");
  auto expanded = ExpandEnvParens(*yaml);
  if (!expanded.ok()) return expanded.status().WithContext("getting request logging config failed");
  auto parsed = server::ParseRequestLogging(*expanded);
  if (!parsed.ok())
    return parsed.status().WithContext("error while parsing config for request logging");
  return parsed;
}

std::string ApiHandlerName(std::string_view path) {
  const size_t at = path.find("/api/v1/");
  if (at == std::string_view::npos) return "";
  std::string name(path.substr(at + 8));
  if (name == "labels") return "label_names";
  if (name.starts_with("label/") && name.ends_with("/values")) return "label_values";
  // The API's own routes only: a name per path a client invents would grow the metrics without
  // bound.
  static const std::set<std::string> kRoutes = {"query",
                                                "query_range",
                                                "series",
                                                "format_query",
                                                "metadata",
                                                "rules",
                                                "alerts",
                                                "targets",
                                                "stores",
                                                "query_exemplars",
                                                "blocks",
                                                "status/flags",
                                                "status/buildinfo",
                                                "status/runtimeinfo",
                                                "status/config"};
  if (kRoutes.count(name) == 0) return "";
  for (char& c : name) c = c == '/' ? '_' : c;
  return name;
}

Result<std::unique_ptr<server::HttpServer>> StartStatusServer(const std::string& address,
                                                              const std::string& web_config,
                                                              const Registry& registry) {
  auto router = std::make_shared<server::Router>();
  AddStatusEndpoints(
      *router, [] { return std::string(); }, registry);
  server::HttpServerOptions ho;
  ho.address = address;
  ho.web_config_file = web_config;
  return server::HttpServer::Start(ho, router);
}

Result<Labels> ParseLabelFlags(const std::string& flag, const std::vector<std::string>& values) {
  std::vector<Label> labels;
  for (const auto& s : values) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument(flag + " " + s + ": want name=\"value\"");
    const std::string name = s.substr(0, eq);
    if (!IsValidLabelName(name))
      return Status::InvalidArgument(flag + " " + s + ": \"" + name + "\" is not a label name");
    for (const Label& l : labels)
      if (l.name == name) return Status::InvalidArgument(flag + " " + name + " given twice");
    std::string v = s.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    labels.push_back(Label{name, v});
  }
  return Labels::FromUnsorted(std::move(labels));
}

Result<std::string> ReadOptionalConfig(const std::string& flag, const std::string& content,
                                       const std::string& file) {
  if (!content.empty() && !file.empty()) {
    return Status::InvalidArgument("--" + flag + " and --" + flag + "-file are mutually exclusive");
  }
  if (file.empty()) return content;
  auto data = ReadFile(file);
  if (!data.ok()) return data.status().WithContext("--" + flag + "-file");
  return std::move(*data);
}

Result<block::BlockSelector> BlockSelectorFlags::Parse() const {
  block::BlockSelector sel;
  auto mint = ParseTimeOrRelative(min_time);
  if (!mint.ok()) return mint.status().WithContext("--min-time");
  auto maxt = ParseTimeOrRelative(max_time);
  if (!maxt.ok()) return maxt.status().WithContext("--max-time");
  sel.min_time = *mint;
  sel.max_time = *maxt;
  STRATA_ASSIGN_OR_RETURN(std::string yaml,
                          ReadOptionalConfig("selector.relabel-config", relabel, relabel_file));
  auto rules = relabel::ParseConfigs(yaml);
  if (!rules.ok()) return rules.status().WithContext("--selector.relabel-config");
  sel.relabel = std::move(*rules);
  return sel;
}

void RefreshBlockViewer(objstore::Bucket& bucket, block::MetaCache& cache,
                        const Result<block::BlockSelector>& selector, ui::BlocksApi& api,
                        int64_t timeout_ms) {
  if (!selector.ok()) return api.SetGlobal({}, selector.status());
  auto blocks = block::FetchBlocks(bucket, {.cache = &cache, .timeout_ms = timeout_ms});
  if (!blocks.ok()) {
    log::Error("block viewer refresh failed", {{"err", blocks.status().ToString()}});
    return api.SetGlobal({}, blocks.status());
  }
  std::vector<tsdb::BlockMeta> metas;
  for (auto& b : *blocks) {
    if (!b.partial && b.error.empty() && selector->Selects(b.meta))
      metas.push_back(std::move(b.meta));
  }
  api.SetGlobal(metas, Status::OK());
}

void AddBlockSelectorFlags(CLI::App& cmd, BlockSelectorFlags& f, const std::string& verb,
                           bool time_range) {
  if (time_range) {
    cmd.add_option("--min-time", f.min_time,
                   "Start of time range limit to " + verb +
                       ": only blocks that end after it. RFC3339 or a duration relative to now, "
                       "such as -1d or 2h45m.")
        ->capture_default_str();
    cmd.add_option("--max-time", f.max_time,
                   "End of time range limit to " + verb +
                       ": only blocks that start at or before it. RFC3339 or a duration relative "
                       "to now.")
        ->capture_default_str();
  }
  cmd.add_option("--selector.relabel-config", f.relabel,
                 "Relabel rules (Prometheus relabel_config YAML: keep, drop, hashmod, ...) on "
                 "blocks' external labels and __block_id that select the blocks to " +
                     verb + ".");
  cmd.add_option(
      "--selector.relabel-config-file", f.relabel_file,
      "Path to a YAML file with the relabel rules that select the blocks to " + verb + ".");
}

void AddWebFlags(CLI::App& cmd, WebFlags& f, bool route_prefix, bool disable) {
  if (route_prefix) {
    cmd.add_option("--web.route-prefix", f.route_prefix,
                   "Prefix for API and UI endpoints. This allows thanos UI to be served on a "
                   "sub-path. Defaults to the value of --web.external-prefix. This option is "
                   "analogous to --web.route-prefix of Prometheus.");
  }
  cmd.add_option("--web.external-prefix", f.external_prefix,
                 "Static prefix for all HTML links and redirect URLs in the UI query web "
                 "interface. Actual endpoints are still served on / or the web.route-prefix.");
  cmd.add_option("--web.prefix-header", f.prefix_header,
                 "Name of HTTP request header used for dynamic prefixing of UI links and "
                 "redirects. This option is ignored if web.external-prefix argument is set.");
  cmd.add_flag("--web.disable-cors", f.disable_cors,
               "Whether to disable CORS headers to be set by Thanos. By default Thanos sets CORS "
               "headers to be allowed by all.");
  if (disable) cmd.add_flag("--web.disable", f.disable, "Disable Block Viewer UI.");
}

void AddGraceFlags(CLI::App& cmd, GraceFlags& f, bool grpc) {
  cmd.add_option("--http-grace-period", f.http,
                 "Time to wait after an interrupt received for HTTP Server.")
      ->capture_default_str();
  if (grpc) {
    cmd.add_option("--grpc-grace-period", f.grpc,
                   "Time to wait after an interrupt received for GRPC Server.")
        ->capture_default_str();
    cmd.add_option("--grpc-server-max-connection-age", f.max_connection_age,
                   "The grpc server max connection age. This controls how often to re-establish "
                   "connections and redo TLS handshakes.")
        ->capture_default_str();
  }
}

Result<GracePeriods> GraceFlags::Parse() const {
  GracePeriods g;
  auto ms = [](const std::string& v, const char* flag, int64_t* out) {
    auto d = ParseDuration(v);
    if (!d.ok()) return d.status().WithContext(flag);
    *out = *d;
    return Status::OK();
  };
  STRATA_RETURN_IF_ERROR(ms(http, "--http-grace-period", &g.http_ms));
  STRATA_RETURN_IF_ERROR(ms(grpc, "--grpc-grace-period", &g.grpc_ms));
  STRATA_RETURN_IF_ERROR(
      ms(max_connection_age, "--grpc-server-max-connection-age", &g.max_connection_age_ms));
  return g;
}

void AddHashFuncFlag(CLI::App& cmd, std::string& hash_func) {
  cmd.add_option("--hash-func", hash_func,
                 "Specify which hash function to use when calculating the hashes of produced "
                 "files. If no function has been specified, it does not happen. Possible values "
                 "are: \"\", \"SHA256\".")
      ->check(CLI::IsMember({"", "SHA256"}));
}

std::vector<std::pair<std::string, std::string>> CorsHeaders() {
  return {{"Access-Control-Allow-Headers",
           "Accept, Accept-Encoding, Authorization, Content-Type, Origin"},
          {"Access-Control-Allow-Methods", "GET, OPTIONS"},
          {"Access-Control-Allow-Origin", "*"},
          {"Access-Control-Expose-Headers", "Date"}};
}

void ApplyWebFlags(const WebFlags& f, const std::string& component, server::Router& router,
                   server::HttpServerOptions& http, int64_t default_step_ms) {
  // As in Thanos, the route prefix defaults to the external prefix.
  router.SetRoutePrefix(f.route_prefix.empty() ? f.external_prefix : f.route_prefix);
  if (!f.disable) {
    ui::RegisterUi(router, {.component = component,
                            .external_prefix = f.external_prefix,
                            .prefix_header = f.prefix_header,
                            .route_prefix = router.route_prefix(),
                            .default_step_ms = default_step_ms});
  }
  if (!f.disable_cors) {
    for (auto& h : CorsHeaders()) http.extra_headers.push_back(std::move(h));
  }
}

void AddStatusEndpoints(server::Router& router, std::function<std::string()> not_ready,
                        const Registry& registry) {
  router.HandleAtRoot("/-/healthy", [](const server::HttpRequest&) {
    return server::HttpResponse{200, "text/plain; charset=utf-8", "OK", {}};
  });
  router.HandleAtRoot("/-/ready", [not_ready](const server::HttpRequest&) {
    std::string why = not_ready();
    if (why.empty()) return server::HttpResponse{200, "text/plain; charset=utf-8", "OK", {}};
    return server::HttpResponse{503, "text/plain; charset=utf-8", "NOT OK: " + why, {}};
  });
  router.HandleAtRoot("/metrics", [&registry](const server::HttpRequest&) {
    return server::HttpResponse{
        200, "text/plain; version=0.0.4; charset=utf-8", registry.Expose(), {}};
  });
}

Result<int64_t> ParseTimeOrRelative(const std::string& s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    STRATA_ASSIGN_OR_RETURN(int64_t d, ParseDuration(s.substr(1)));
    return NowMs() + (s[0] == '-' ? -d : d);
  }
  if (s.starts_with("0000-")) return INT64_MIN;
  if (s.starts_with("9999-")) return INT64_MAX;
  return ParseApiTime(s);
}

Periodic::Periodic(int64_t interval_ms, std::function<void()> fn) {
  thread_ = std::thread([this, interval_ms, fn = std::move(fn)] {
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(interval_ms), [&] { return stop_; })) {
      l.unlock();
      fn();
      l.lock();
    }
  });
}

Periodic::~Periodic() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace strata::cmd
