// Wiring shared by the subcommand files: each Register* function adds one subcommand (and its
// flags) to the CLI and sets *exit_code when it runs. Flag spellings follow Thanos v0.34.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/labels.h"
#include "base/metrics.h"
#include "base/status.h"
#include "block/block.h"
#include "block/select.h"
#include "objstore/bucket.h"
#include "storeapi/tls.h"

namespace CLI {
class App;
}
namespace strata::server {
class Router;
struct HttpServerOptions;
class HttpServer;
struct RequestLogging;
}  // namespace strata::server
namespace strata::ui {
class BlocksApi;
}

namespace strata::cmd {

struct GlobalFlags {
  std::string log_level = "info";
  std::string log_format = "logfmt";
};

void RegisterToolsCommand(CLI::App& app, int* exit_code);
// `query`: the querier.
void RegisterQueryCommand(CLI::App& app, int* exit_code);
// `tools bucket …`, added under the tools subcommand.
void RegisterBucketTools(CLI::App& tools, int* exit_code);
// `tools promql …` (test scripts, offline queries over blocks).
void RegisterPromqlTools(CLI::App& tools, int* exit_code);

// `store`: the store gateway.
void RegisterStoreCommand(CLI::App& app, int* exit_code);
// `compact`: the compactor.
void RegisterCompactCommand(CLI::App& app, int* exit_code);
// `sidecar`: serves a Prometheus over the StoreAPI and ships its blocks.
void RegisterSidecarCommand(CLI::App& app, int* exit_code);
// `query-frontend`: splitting, caching and retries in front of queriers.
void RegisterQueryFrontendCommand(CLI::App& app, int* exit_code);

// --objstore.config-file / --objstore.config, shared by the commands that use a bucket; with
// another name, a second bucket's (--objstore-to.config of replicate, --objstore-backup.config
// of verify).
struct ObjstoreFlags {
  std::string file;
  std::string content;
  std::string name = "objstore";
  bool given() const { return !file.empty() || !content.empty(); }
};
void AddObjstoreFlags(CLI::App& cmd, ObjstoreFlags& f);
Result<std::unique_ptr<objstore::Bucket>> OpenBucket(const ObjstoreFlags& f, Registry* metrics);

// --grpc-server-tls-cert/-key/-client-ca/-min-version (sidecar, store, query).
void AddGrpcServerTlsFlags(CLI::App& cmd, storeapi::ServerTls& tls);
// --store.limits.request-series/-samples of the querier's and sidecar's StoreAPI.
void AddStoreApiLimitFlags(CLI::App& cmd, uint64_t& max_series, uint64_t& max_samples);
// --grpc-client-tls-secure/-skip-verify/-cert/-key/-ca and --grpc-client-server-name (query).
void AddGrpcClientTlsFlags(CLI::App& cmd, storeapi::ClientTls& tls);
// --http.config: the exporter-toolkit web config (TLS, basic auth, headers) for every HTTP
// endpoint of the component.
void AddHttpConfigFlag(CLI::App& cmd, std::string& path);

// --request.logging-config(-file) (query, store, sidecar, query-frontend): which requests
// and calls are logged (server/request_logging.h); $(VAR) references are expanded.
struct RequestLoggingFlags {
  std::string content;
  std::string file;
  // null when nothing is to be logged.
  Result<std::shared_ptr<const server::RequestLogging>> Load() const;
};
void AddRequestLoggingFlags(CLI::App& cmd, RequestLoggingFlags& f);
// The handler name of an /api/v1/ request (query_range, label_values, blocks, ...); ""
// for the other paths, which Thanos does not log.
std::string ApiHandlerName(std::string_view path);

// Thanos's --web.* flags: --web.external-prefix, --web.prefix-header and --web.disable-cors
// always; --web.route-prefix and --web.disable where the component has them.
struct WebFlags {
  std::string route_prefix;
  std::string external_prefix;
  std::string prefix_header;
  bool disable_cors = false;
  bool disable = false;  // --web.disable: no UI (the store gateway's and compactor's block viewer)
};
void AddWebFlags(CLI::App& cmd, WebFlags& f, bool route_prefix, bool disable);
// The web UI for `component` (unless --web.disable), the route prefix, and CORS headers on
// every answer unless --web.disable-cors.
// default_step_ms: the querier's --query.default-step, the Graph page's smallest automatic step.
void ApplyWebFlags(const WebFlags& f, const std::string& component, server::Router& router,
                   server::HttpServerOptions& http, int64_t default_step_ms = 1000);
// --http-grace-period and (with grpc) --grpc-grace-period, Thanos's 2m defaults: how long
// requests being served may take to finish once a termination signal arrives.
// With grpc, also --grpc-server-max-connection-age (Thanos's 60m).
struct GracePeriods {
  int64_t http_ms = 0;
  int64_t grpc_ms = 0;
  int64_t max_connection_age_ms = 0;
};
struct GraceFlags {
  std::string http = "2m";
  std::string grpc = "2m";
  std::string max_connection_age = "60m";
  Result<GracePeriods> Parse() const;
};
void AddGraceFlags(CLI::App& cmd, GraceFlags& f, bool grpc);

// --hash-func: "" or "SHA256", the hash recorded for each file of the blocks a component uploads.
void AddHashFuncFlag(CLI::App& cmd, std::string& hash_func);

// Thanos's CORS headers (its api.SetCORS).
std::vector<std::pair<std::string, std::string>> CorsHeaders();

// /-/healthy, /-/ready and /metrics. not_ready returns why the component is not ready yet, or
// "" when it is.
void AddStatusEndpoints(server::Router& router, std::function<std::string()> not_ready,
                        const Registry& registry);

// An HTTP server with only the status endpoints, for the tools that run continuously
// (tools bucket downsample, replicate).
Result<std::unique_ptr<server::HttpServer>> StartStatusServer(const std::string& address,
                                                              const std::string& web_config,
                                                              const Registry& registry);

// Repeated name="value" (or name=value) flags, as Thanos's --label and --selector-label.
Result<Labels> ParseLabelFlags(const std::string& flag, const std::vector<std::string>& values);

// Thanos's path-or-content flag pair, --<flag>-file and --<flag>, with its help texts;
// `what` completes "YAML file that contains ...".
void AddPathOrContentFlags(CLI::App& cmd, const std::string& flag, const std::string& what,
                           std::string& file, std::string& content);
// A config given inline (--flag) or as a file (--flag-file), at most one of the two.
Result<std::string> ReadOptionalConfig(const std::string& flag, const std::string& content,
                                       const std::string& file);

// --min-time, --max-time and --selector.relabel-config(-file): the blocks a component works on
// (store gateway, compactor, `tools bucket web`). Relative times (-2w) move with the clock, so
// Parse() is called again at each sync.
struct BlockSelectorFlags {
  std::string min_time = "0000-01-01T00:00:00Z";
  std::string max_time = "9999-12-31T23:59:59Z";
  std::string relabel, relabel_file;
  Result<block::BlockSelector> Parse() const;
};
// verb: what the component does with the selected blocks ("serve", "compact", "show").
// time_range: also --min-time and --max-time.
void AddBlockSelectorFlags(CLI::App& cmd, BlockSelectorFlags& f, const std::string& verb,
                           bool time_range = true);

// A block viewer's refresh (compactor, `tools bucket web`): the bucket's complete blocks that
// the selector picks, or the listing error. timeout_ms: Thanos's sync-block-timeout (0: none).
void RefreshBlockViewer(objstore::Bucket& bucket, block::MetaCache& cache,
                        const Result<block::BlockSelector>& selector, ui::BlocksApi& api,
                        int64_t timeout_ms);

// Thanos's --min-time/--max-time: RFC 3339, or a duration relative to now such as -2w.
Result<int64_t> ParseTimeOrRelative(const std::string& s);

// Runs fn every interval_ms on its own thread (first run after one interval) until destroyed.
class Periodic {
 public:
  Periodic(int64_t interval_ms, std::function<void()> fn);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// --help-man: the command given as a man page on stdout.
void AddHelpManFlag(CLI::App& app);

// Prints "error: <message>" to stderr and returns the exit code for failures.
int Fail(const std::string& message);
// The exit code of a component's run: 0 when it succeeded or a termination signal stopped it
// (logged), else Fail's.
int Finish(const std::string& component, const Status& st);

}  // namespace strata::cmd
