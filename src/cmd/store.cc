// `strata store`: the store gateway. Serves the blocks of an object storage bucket over the
// StoreAPI, as `thanos store` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <atomic>

#include "base/duration.h"
#include "base/log.h"
#include "cmd/command.h"
#include "server/http_server.h"
#include "store/bucket_store.h"
#include "storeapi/server.h"

namespace strata::cmd {
namespace {

struct StoreFlags {
  GrpcTlsFlags grpc_tls;
  ObjstoreFlags objstore;
  std::string data_dir = "./data";
  std::string grpc_address = "0.0.0.0:10901";
  std::string http_address = "0.0.0.0:10902";
  std::string sync_interval = "3m";
  std::string min_time = "0000-01-01T00:00:00Z";
  std::string max_time = "9999-12-31T23:59:59Z";
  std::string index_cache_size = "250MB";
  int series_concurrency = 20;
};

Status RunStore(const StoreFlags& f) {
  STRATA_RETURN_IF_ERROR(CheckGrpcTlsFlags(f.grpc_tls));
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(f.objstore, &registry));
  store::BucketStoreOptions opts;
  opts.data_dir = f.data_dir;
  STRATA_ASSIGN_OR_RETURN(opts.min_time, ParseTimeOrRelative(f.min_time));
  STRATA_ASSIGN_OR_RETURN(opts.max_time, ParseTimeOrRelative(f.max_time));
  STRATA_ASSIGN_OR_RETURN(int64_t interval, ParseDuration(f.sync_interval));
  auto bs = std::make_shared<store::BucketStore>(
      std::shared_ptr<objstore::Bucket>(std::move(bucket)), opts);
  std::atomic<bool> ready{false};
  auto sync = [&] {
    auto w = bs->Sync();
    if (!w.ok()) {
      log::Error("bucket sync failed", {{"err", w.status().ToString()}});
      return;
    }
    for (const auto& x : *w) log::Warn(x);
    log::Info("synced blocks", {{"blocks", std::to_string(bs->NumBlocks())}});
    ready = true;
  };
  sync();

  storeapi::ServerOptions so;
  so.address = f.grpc_address;
  so.component_type = "store";
  so.max_concurrent_series_calls = f.series_concurrency;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<storeapi::StoreServer> grpc,
                          storeapi::StoreServer::Start(so, bs));
  auto router = std::make_shared<server::Router>();
  AddStatusEndpoints(
      *router, [&ready] { return ready ? std::string() : "initial bucket sync not done"; },
      registry);
  server::HttpServerOptions ho;
  ho.address = f.http_address;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          server::HttpServer::Start(ho, router));
  log::Info("serving", {{"grpc_port", std::to_string(grpc->port())},
                        {"http_port", std::to_string(http->port())}});

  auto syncer = std::make_unique<Periodic>(interval, sync);
  const int sig = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  syncer.reset();
  http->Shutdown();
  grpc->Shutdown();
  return Status::OK();
}

}  // namespace

void RegisterStoreCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<StoreFlags>();
  CLI::App* s =
      app.add_subcommand("store", "Store node giving access to blocks in a bucket provider.");
  AddObjstoreFlags(*s, f->objstore);
  s->add_option("--data-dir", f->data_dir, "Local data directory used for caching purposes.")
      ->capture_default_str();
  s->add_option("--grpc-address", f->grpc_address,
                "Listen ip:port address for gRPC endpoints (StoreAPI).")
      ->capture_default_str();
  AddGrpcTlsFlags(*s, f->grpc_tls);
  s->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  s->add_option("--sync-block-duration", f->sync_interval,
                "Repeat interval for syncing the blocks.")
      ->capture_default_str();
  s->add_option("--min-time", f->min_time,
                "Start of the time range served (RFC 3339 or relative like -2w).")
      ->capture_default_str();
  s->add_option("--max-time", f->max_time,
                "End of the time range served (RFC 3339 or relative like -1d).")
      ->capture_default_str();
  s->add_option(
       "--index-cache-size", f->index_cache_size,
       "Maximum size of the in-memory index cache (accepted; the cache is not implemented yet).")
      ->capture_default_str();
  s->add_option("--store.grpc.series-max-concurrency", f->series_concurrency,
                "Maximum number of concurrent Series calls.")
      ->capture_default_str();
  s->callback([f, exit_code] {
    BlockTerminationSignals();
    Status st = RunStore(*f);
    if (!st.ok()) *exit_code = Fail("store: " + st.ToString());
  });
}

}  // namespace strata::cmd
