// `strata sidecar`: runs beside a Prometheus server, serves its data over the StoreAPI and ships
// its finished blocks to object storage, as `thanos sidecar` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "base/duration.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "cmd/command.h"
#include "server/http_server.h"
#include "server/web_config.h"
#include "sidecar/prometheus_client.h"
#include "sidecar/prometheus_source.h"
#include "sidecar/reloader.h"
#include "sidecar/shipper.h"
#include "storeapi/server.h"

namespace strata::cmd {
namespace {

struct SidecarFlags {
  RequestLoggingFlags request_logging;
  storeapi::ServerTls grpc_tls;
  std::string http_config;
  ObjstoreFlags objstore;
  std::string prometheus_url = "http://localhost:9090";
  std::string ready_timeout = "10m";
  std::string config_interval = "30s";
  std::string config_timeout = "5s";
  std::string http_client;
  std::string http_client_file;
  std::string tsdb_path = "./data";
  std::string grpc_address = "0.0.0.0:10901";
  std::string http_address = "0.0.0.0:10902";
  std::string min_time = "0000-01-01T00:00:00Z";
  bool upload_compacted = false;
  bool ignore_unequal_block_size = false;
  std::string meta_file_name = sidecar::kShipperMetaFile;
  std::string sync_interval = "30s";
  GraceFlags grace;
  uint64_t limit_series = 0, limit_samples = 0;  // --store.limits.request-*
  std::string hash_func;
  // --reloader.*
  std::string reloader_config_file, reloader_envsubst_file;
  std::vector<std::string> reloader_rule_dirs;
  std::string reloader_watch_interval = "3m", reloader_retry_interval = "5s";
  std::string reloader_method = "http", reloader_process_name = "prometheus";
};

// Retries fn every 2s until it succeeds, timeout_ms passes or shutdown is requested; returns
// its last status.
Status Retry(int64_t timeout_ms, const std::string& what, const std::function<Status()>& fn) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    Status st = fn();
    if (st.ok() || NowMs() >= deadline) return st;
    log::Warn(what + ". Is Prometheus running? Retrying", {{"err", st.ToString()}});
    if (!shutdown::SleepFor(2000)) return st.WithContext("shutting down");
  }
}

// Thanos refuses to ship blocks from a Prometheus that compacts them itself: the compactor
// would meet overlapping blocks.
Status ValidatePrometheusFlags(const std::map<std::string, std::string>& flags, bool ignore) {
  auto min = flags.find("storage.tsdb.min-block-duration");
  auto max = flags.find("storage.tsdb.max-block-duration");
  if (min == flags.end() || max == flags.end()) return Status::OK();
  auto mn = ParseDuration(min->second), mx = ParseDuration(max->second);
  if (!mn.ok() || !mx.ok()) return Status::OK();
  if (*mn != *mx) {
    std::string msg = "found that TSDB Max time is " + max->second + " and Min time is " +
                      min->second +
                      ". Compaction needs to be disabled (storage.tsdb.min-block-duration = "
                      "storage.tsdb.max-block-duration)";
    if (!ignore) return Status::InvalidArgument("validate Prometheus flags: " + msg);
    log::Warn(msg);
  }
  if (*mn != 2 * 3600 * 1000)
    log::Warn("found that TSDB block time is not 2h. Only 2h block time is recommended.",
              {{"block-time", min->second}});
  return Status::OK();
}

// Serves until shutdown: the StoreAPI over Prometheus and the shipper.
Status ServeSidecar(const SidecarFlags& f, Registry& registry,
                    const std::shared_ptr<sidecar::PrometheusClient>& client) {
  STRATA_ASSIGN_OR_RETURN(int64_t ready_timeout, ParseDuration(f.ready_timeout));
  STRATA_ASSIGN_OR_RETURN(int64_t config_interval, ParseDuration(f.config_interval));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(const auto request_logging, f.request_logging.Load());
  STRATA_ASSIGN_OR_RETURN(int64_t sync_interval, ParseDuration(f.sync_interval));
  STRATA_ASSIGN_OR_RETURN(int64_t flag_min_time, ParseTimeOrRelative(f.min_time));

  std::shared_ptr<objstore::Bucket> bucket;
  if (!f.objstore.file.empty() || !f.objstore.content.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> b, OpenBucket(f.objstore, &registry));
    bucket = std::move(b);
  } else {
    log::Info("no supported bucket was configured, uploads will be disabled");
  }

  auto source = std::make_shared<sidecar::PrometheusSource>(client);
  Gauge& up = registry
                  .AddGauge("thanos_sidecar_prometheus_up",
                            "Boolean indicator whether the sidecar can reach its Prometheus peer.")
                  .WithLabelValues({});
  Gauge& heartbeat = registry
                         .AddGauge("thanos_sidecar_last_heartbeat_success_time_seconds",
                                   "Timestamp of the last successful heartbeat in seconds.")
                         .WithLabelValues({});
  std::atomic<bool> ready{false};
  std::atomic<bool> serving{false};  // the StoreAPI is listening
  std::mutex why_mu;
  std::string not_ready_why = "waiting for Prometheus at " + f.prometheus_url;
  auto set_not_ready = [&](std::string why) {
    std::lock_guard<std::mutex> l(why_mu);
    not_ready_why = std::move(why);
    ready = false;
  };

  auto router = std::make_shared<server::Router>();
  AddStatusEndpoints(
      *router,
      [&]() -> std::string {
        if (ready) return "";
        std::lock_guard<std::mutex> l(why_mu);
        return not_ready_why;
      },
      registry);
  server::HttpServerOptions ho;
  ho.address = f.http_address;
  ho.web_config_file = f.http_config;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          server::HttpServer::Start(ho, router));

  if (bucket) {
    std::map<std::string, std::string> flags;
    Status st = Retry(ready_timeout, "failed to get Prometheus flags", [&]() -> Status {
      auto got = client->Flags();
      if (got.ok()) flags = std::move(*got);
      return got.status();
    });
    if (st.ok()) {
      STRATA_RETURN_IF_ERROR(ValidatePrometheusFlags(flags, f.ignore_unequal_block_size));
    } else {
      log::Warn("could not check Prometheus flags", {{"err", st.ToString()}});
    }
  }
  Status st = Retry(ready_timeout, "failed to fetch prometheus version", [&]() -> Status {
    auto v = client->Version();
    if (v.ok()) log::Info("successfully loaded prometheus version", {{"version", *v}});
    return v.status();
  });
  STRATA_RETURN_IF_ERROR(st);
  auto fetch_labels = [&]() -> Status {
    auto ext = client->ExternalLabels();
    if (!ext.ok()) {
      up.Set(0);
      set_not_ready("cannot read external labels: " + ext.status().ToString());
      return ext.status();
    }
    source->SetExternalLabels(*ext);
    up.Set(1);
    heartbeat.SetToCurrentTime();
    ready = serving.load();
    return Status::OK();
  };
  STRATA_RETURN_IF_ERROR(
      Retry(ready_timeout, "failed to fetch initial external labels", fetch_labels));
  if (source->ExternalLabels().empty())
    return Status::InvalidArgument(
        "no external labels configured on Prometheus server, uniquely identifying external "
        "labels must be configured; see https://thanos.io/tip/thanos/storage.md#external-labels "
        "for details.");
  log::Info("successfully loaded prometheus external labels",
            {{"external_labels", source->ExternalLabels().String()}});
  source->SetTimeRange(flag_min_time, kMaxTime);

  storeapi::ServerOptions so;
  so.address = f.grpc_address;
  so.tls = f.grpc_tls;
  so.max_connection_age_ms = grace.max_connection_age_ms;
  so.component_type = "sidecar";
  so.max_series = f.limit_series;
  so.max_samples = f.limit_samples;
  so.metrics = &registry;
  so.request_logging = request_logging;
  so.log_component = "sidecar";
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<storeapi::StoreServer> grpc,
                          storeapi::StoreServer::Start(so, source));
  serving = true;
  ready = true;
  log::Info("serving", {{"grpc_port", std::to_string(grpc->port())},
                        {"http_port", std::to_string(http->port())}});

  auto heartbeats = std::make_unique<Periodic>(config_interval, [&] {
    if (Status hs = fetch_labels(); !hs.ok())
      log::Warn("heartbeat failed", {{"err", hs.ToString()}});
  });

  std::unique_ptr<sidecar::Shipper> shipper;
  std::unique_ptr<Periodic> shipping;
  if (bucket) {
    sidecar::ShipperOptions sh;
    sh.dir = f.tsdb_path;
    sh.upload_compacted = f.upload_compacted;
    sh.hash_func = f.hash_func;
    sh.meta_file = f.meta_file_name;
    shipper = std::make_unique<sidecar::Shipper>(bucket, sh, &registry);
    auto ship = [&] {
      auto n = shipper->Sync(source->ExternalLabels());
      if (!n.ok())
        log::Warn("shipping failed, retrying next cycle", {{"err", n.status().ToString()}});
      auto mint = shipper->MinTime();
      if (!mint.ok()) {
        log::Warn("reading timestamps failed", {{"err", mint.status().ToString()}});
        return;
      }
      // A relative --min-time such as -2w moves with the clock.
      auto now_min = ParseTimeOrRelative(f.min_time);
      const int64_t min_time = now_min.ok() ? *now_min : flag_min_time;
      source->SetTimeRange(std::max(*mint, min_time), kMaxTime);
    };
    ship();
    shipping = std::make_unique<Periodic>(sync_interval, ship);
  }

  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  shipping.reset();
  heartbeats.reset();
  grpc->Shutdown(grace.grpc_ms);
  http->Shutdown(grace.http_ms);
  return Status::OK();
}

Result<sidecar::ReloaderOptions> ReloaderOptionsFrom(const SidecarFlags& f) {
  sidecar::ReloaderOptions o;
  o.config_file = f.reloader_config_file;
  o.config_envsubst_file = f.reloader_envsubst_file;
  o.rule_dirs = f.reloader_rule_dirs;
  STRATA_ASSIGN_OR_RETURN(o.watch_interval_ms, ParseDuration(f.reloader_watch_interval));
  STRATA_ASSIGN_OR_RETURN(o.retry_interval_ms, ParseDuration(f.reloader_retry_interval));
  if (o.retry_interval_ms <= 0)
    return Status::InvalidArgument("--reloader.retry-interval must be positive");
  o.signal = f.reloader_method == "signal";
  o.process_name = f.reloader_process_name;
  return o;
}

Status RunSidecar(const SidecarFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_RETURN_IF_ERROR(f.grpc_tls.Validate());
  STRATA_ASSIGN_OR_RETURN(int64_t config_timeout, ParseDuration(f.config_timeout));
  STRATA_ASSIGN_OR_RETURN(http::ClientConfig http_config,
                          http::ReadClientConfig(f.http_client_file, f.http_client));
  STRATA_ASSIGN_OR_RETURN(sidecar::ReloaderOptions reload, ReloaderOptionsFrom(f));
  Registry registry;
  auto client =
      std::make_shared<sidecar::PrometheusClient>(f.prometheus_url, config_timeout, http_config);
  // The reloader runs beside everything else from the start, as in Thanos; when it fails
  // (e.g. its config file is missing), the sidecar stops with its error.
  sidecar::Reloader reloader(std::move(reload), client, registry);
  Status reloader_status;
  std::thread reloading([&] {
    reloader_status = reloader.Run();
    if (!reloader_status.ok()) shutdown::Request(0);
  });
  Status st = ServeSidecar(f, registry, client);
  reloader.Stop();
  reloading.join();
  if (!reloader_status.ok()) return reloader_status.WithContext("config reloader");
  return st;
}

}  // namespace

void RegisterSidecarCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<SidecarFlags>();
  CLI::App* s = app.add_subcommand(
      "sidecar",
      "Sidecar for Prometheus server: StoreAPI over its data, blocks shipped to a bucket.");
  AddObjstoreFlags(*s, f->objstore);
  s->add_option("--prometheus.url", f->prometheus_url, "URL at which to reach Prometheus's API.")
      ->capture_default_str();
  s->add_option("--prometheus.ready_timeout", f->ready_timeout,
                "Maximum time to wait for the Prometheus instance to start up")
      ->capture_default_str();
  s->add_option("--prometheus.get_config_interval", f->config_interval,
                "How often to get Prometheus config")
      ->capture_default_str();
  s->add_option("--prometheus.get_config_timeout", f->config_timeout,
                "Timeout for getting Prometheus config (and for every request to Prometheus)")
      ->capture_default_str();
  s->add_option("--prometheus.http-client", f->http_client,
                "HTTP client configuration for Prometheus in YAML (tls_config, basic_auth, "
                "bearer_token).");
  s->add_option("--prometheus.http-client-file", f->http_client_file,
                "Path to the YAML HTTP client configuration for Prometheus.");
  s->add_option("--tsdb.path", f->tsdb_path, "Data directory of TSDB.")->capture_default_str();
  s->add_option("--grpc-address", f->grpc_address,
                "Listen ip:port address for gRPC endpoints (StoreAPI).")
      ->capture_default_str();
  AddGrpcServerTlsFlags(*s, f->grpc_tls);
  AddHttpConfigFlag(*s, f->http_config);
  s->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  s->add_option("--min-time", f->min_time,
                "Start of time range limit to serve (RFC 3339 or relative like -2w).")
      ->capture_default_str();
  AddHashFuncFlag(*s, f->hash_func);
  s->add_flag("--shipper.upload-compacted", f->upload_compacted,
              "If true shipper will try to upload compacted blocks as well.");
  s->add_flag("--shipper.ignore-unequal-block-size", f->ignore_unequal_block_size,
              "Ship even when Prometheus's min and max block durations differ (not recommended).");
  s->add_option("--shipper.meta-file-name", f->meta_file_name,
                "the file to store shipper metadata in")
      ->capture_default_str();
  s->add_option("--shipper.sync-interval", f->sync_interval,
                "How often the TSDB directory is checked for new blocks (strata only; Thanos "
                "uses a fixed 30s).")
      ->capture_default_str();
  s->add_option("--reloader.config-file", f->reloader_config_file,
                "Config file watched by the reloader.");
  s->add_option("--reloader.config-envsubst-file", f->reloader_envsubst_file,
                "Output file for environment variable substituted config file.");
  s->add_option("--reloader.rule-dir", f->reloader_rule_dirs,
                "Rule directories for the reloader to refresh (repeated field).");
  s->add_option("--reloader.watch-interval", f->reloader_watch_interval,
                "Controls how often reloader re-reads config and rules.")
      ->capture_default_str();
  s->add_option("--reloader.retry-interval", f->reloader_retry_interval,
                "Controls how often reloader retries config reload in case of error.")
      ->capture_default_str();
  s->add_option("--reloader.method", f->reloader_method, "Method used to reload the configuration.")
      ->capture_default_str()
      ->check(CLI::IsMember({"http", "signal"}));
  s->add_option("--reloader.process-name", f->reloader_process_name,
                "Executable name used to match the process being reloaded when using the signal "
                "method.")
      ->capture_default_str();
  AddGraceFlags(*s, f->grace, /*grpc=*/true);
  AddRequestLoggingFlags(*s, f->request_logging);
  AddStoreApiLimitFlags(*s, f->limit_series, f->limit_samples);
  s->callback([f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("sidecar", RunSidecar(*f));
  });
}

}  // namespace strata::cmd
