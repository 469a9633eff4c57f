// `strata store`: the store gateway. Serves the blocks of an object storage bucket over the
// StoreAPI, as `thanos store` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <atomic>

#include "base/bytesize.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "cmd/command.h"
#include "server/http_server.h"
#include "server/web_config.h"
#include "store/bucket_store.h"
#include "store/index_cache.h"
#include "storeapi/server.h"
#include "ui/blocks_api.h"

namespace strata::cmd {
namespace {

struct StoreFlags {
  bool lazy_expanded_postings = false;
  RequestLoggingFlags request_logging;
  storeapi::ServerTls grpc_tls;
  std::string http_config;
  ObjstoreFlags objstore;
  std::string data_dir = "./data";
  std::string grpc_address = "0.0.0.0:10901";
  std::string http_address = "0.0.0.0:10902";
  std::string sync_interval = "15m";
  int block_sync_concurrency = 20;
  int block_meta_fetch_concurrency = 32;
  BlockSelectorFlags selector;
  std::string index_cache_size = "250MB";
  std::string index_cache_config, index_cache_config_file;
  std::string chunk_pool_size = "2GB";
  uint64_t series_sample_limit = 0;
  uint64_t request_samples = 0;
  uint64_t request_series = 0;
  int series_concurrency = 20;
  std::string consistency_delay = "0s";
  std::string ignore_deletion_marks_delay = "24h";
  bool lazy_index_header = true;
  std::string lazy_idle_timeout = "5m";
  WebFlags web;
  std::string bucket_web_label;
  GraceFlags grace;
  uint64_t touched_series_limit = 0;
  uint64_t downloaded_bytes_limit = 0;
  bool cache_index_header = true;
  std::string lazy_download_strategy = "eager";
};

Status RunStore(const StoreFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(const auto request_logging, f.request_logging.Load());
  STRATA_RETURN_IF_ERROR(f.grpc_tls.Validate());
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(f.objstore, &registry));
  store::BucketStoreOptions opts;
  opts.data_dir = f.data_dir;
  STRATA_ASSIGN_OR_RETURN(opts.selector, f.selector.Parse());
  STRATA_ASSIGN_OR_RETURN(int64_t interval, ParseDuration(f.sync_interval));
  STRATA_ASSIGN_OR_RETURN(opts.consistency_delay_ms, ParseDuration(f.consistency_delay));
  STRATA_ASSIGN_OR_RETURN(opts.ignore_deletion_marks_delay_ms,
                          ParseDuration(f.ignore_deletion_marks_delay));
  STRATA_ASSIGN_OR_RETURN(int64_t idle, ParseDuration(f.lazy_idle_timeout));
  opts.index_header_idle_ms = f.lazy_index_header ? idle : 0;
  opts.block_sync_concurrency = std::max(1, f.block_sync_concurrency);
  opts.meta_fetch_concurrency = std::max(1, f.block_meta_fetch_concurrency);
  STRATA_ASSIGN_OR_RETURN(opts.chunk_pool_bytes, ParseByteSize(f.chunk_pool_size));
  // The newer --store.limits.request-* flags win over the older series-sample-limit.
  opts.max_samples = f.request_samples > 0 ? f.request_samples : f.series_sample_limit;
  opts.max_series = f.request_series > 0 ? f.request_series : f.touched_series_limit;
  opts.max_downloaded_bytes = f.downloaded_bytes_limit;
  opts.lazy_expanded_postings = f.lazy_expanded_postings;
  opts.lazy_index_header_download = f.lazy_download_strategy == "lazy";
  if (!f.cache_index_header) {
    return Status::Unsupported(
        "--no-cache-index-header: Strata always keeps index-headers in --data-dir (it builds them "
        "from ranged reads of the index, no download of the whole index)");
  }
  STRATA_ASSIGN_OR_RETURN(uint64_t cache_size, ParseByteSize(f.index_cache_size));
  STRATA_ASSIGN_OR_RETURN(
      std::string cache_yaml,
      ReadOptionalConfig("index-cache.config", f.index_cache_config, f.index_cache_config_file));
  auto cache = store::NewIndexCacheFromConfig(cache_yaml, cache_size, &registry);
  if (!cache.ok()) return cache.status().WithContext("--index-cache.config");

  auto bs = std::make_shared<store::BucketStore>(
      std::shared_ptr<objstore::Bucket>(std::move(bucket)), opts,
      std::shared_ptr<store::IndexCache>(std::move(*cache)), &registry);
  std::atomic<bool> ready{false};
  ui::BlocksApi blocks_api(f.bucket_web_label, /*disable_admin_operations=*/true, nullptr);
  auto sync = [&] {
    auto w = bs->Sync();
    if (!w.ok()) {
      log::Error("bucket sync failed", {{"err", w.status().ToString()}});
      blocks_api.SetLoaded({}, w.status());
      return;
    }
    for (const auto& x : *w) log::Warn("block not served", {{"err", x}});
    std::vector<tsdb::BlockMeta> loaded;
    for (const auto& b : bs->Blocks()) loaded.push_back(b->meta());
    blocks_api.SetLoaded(loaded, Status::OK());
    log::Info("synced blocks", {{"blocks", std::to_string(bs->NumBlocks())}});
    ready = true;
  };
  sync();

  storeapi::ServerOptions so;
  so.address = f.grpc_address;
  so.tls = f.grpc_tls;
  so.max_connection_age_ms = grace.max_connection_age_ms;
  so.component_type = "store";
  so.max_concurrent_series_calls = f.series_concurrency;
  so.request_logging = request_logging;
  so.log_component = "store";
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<storeapi::StoreServer> grpc,
                          storeapi::StoreServer::Start(so, bs));
  auto router = std::make_shared<server::Router>();
  AddStatusEndpoints(
      *router, [&ready] { return ready ? std::string() : "initial bucket sync not done"; },
      registry);
  server::HttpServerOptions ho;
  if (!f.web.disable) blocks_api.Register(*router);
  ApplyWebFlags(f.web, "store", *router, ho);
  ho.address = f.http_address;
  ho.web_config_file = f.http_config;
  ho.request_logging = request_logging;
  ho.handler_name = ApiHandlerName;  // the blocks API
  ho.metrics = &registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          server::HttpServer::Start(ho, router));
  log::Info("serving", {{"grpc_port", std::to_string(grpc->port())},
                        {"http_port", std::to_string(http->port())}});

  auto syncer = std::make_unique<Periodic>(interval, [&] {
    // Relative --min-time/--max-time (like -2w) move with the clock.
    if (auto sel = f.selector.Parse(); sel.ok()) bs->SetSelector(std::move(*sel));
    sync();
  });
  std::unique_ptr<Periodic> unloader;
  if (opts.index_header_idle_ms > 0) {
    unloader = std::make_unique<Periodic>(std::max<int64_t>(1000, opts.index_header_idle_ms / 2),
                                          [&] { bs->UnloadIdle(); });
  }
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  unloader.reset();
  syncer.reset();
  http->Shutdown(grace.http_ms);
  grpc->Shutdown(grace.grpc_ms);
  return Status::OK();
}

}  // namespace

void RegisterStoreCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<StoreFlags>();
  CLI::App* s =
      app.add_subcommand("store", "Store node giving access to blocks in a bucket provider.");
  AddObjstoreFlags(*s, f->objstore);
  s->add_option("--data-dir", f->data_dir,
                "Local data directory for index-headers (block data is not downloaded).")
      ->capture_default_str();
  s->add_option("--grpc-address", f->grpc_address,
                "Listen ip:port address for gRPC endpoints (StoreAPI).")
      ->capture_default_str();
  AddGrpcServerTlsFlags(*s, f->grpc_tls);
  AddHttpConfigFlag(*s, f->http_config);
  s->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  s->add_option("--sync-block-duration", f->sync_interval,
                "How often the bucket is listed for new and removed blocks.")
      ->capture_default_str();
  s->add_option("--block-sync-concurrency", f->block_sync_concurrency,
                "How many blocks are loaded (index-header built) at the same time.")
      ->capture_default_str();
  s->add_option("--block-meta-fetch-concurrency", f->block_meta_fetch_concurrency,
                "Number of goroutines to use when fetching block metadata from object storage.")
      ->capture_default_str();
  AddBlockSelectorFlags(*s, f->selector, "serve");
  s->add_option("--index-cache-size", f->index_cache_size,
                "Size of the in-memory index cache when no --index-cache.config(-file) is given.")
      ->capture_default_str();
  s->add_option("--index-cache.config", f->index_cache_config,
                "YAML with the index cache configuration (IN-MEMORY or MEMCACHED).");
  s->add_option("--index-cache.config-file", f->index_cache_config_file,
                "Path to YAML with the index cache configuration.");
  s->add_option("--chunk-pool-size", f->chunk_pool_size,
                "Bytes of chunk data all Series calls together may hold at once.")
      ->capture_default_str();
  s->add_option("--store.grpc.series-sample-limit", f->series_sample_limit,
                "Most samples one Series call may return, counted from the chunks' headers "
                "(0 = no limit).")
      ->capture_default_str();
  s->add_option("--store.limits.request-samples", f->request_samples,
                "Most samples one Series call may return (0 = no limit; wins over "
                "--store.grpc.series-sample-limit).")
      ->capture_default_str();
  s->add_option("--store.limits.request-series", f->request_series,
                "Most series one Series call may return (0 = no limit).")
      ->capture_default_str();
  s->add_option("--store.grpc.touched-series-limit", f->touched_series_limit,
                "DEPRECATED: use store.limits.request-series.")
      ->capture_default_str();
  s->add_option("--store.grpc.downloaded-bytes-limit", f->downloaded_bytes_limit,
                "Maximum amount of bytes one Series call may read from the bucket (postings, "
                "series and chunks; index cache hits do not count). The Series call fails if "
                "this limit is exceeded. 0 means no limit.")
      ->capture_default_str();
  s->add_flag("--cache-index-header,!--no-cache-index-header", f->cache_index_header,
              "Cache TSDB index-headers on disk (in --data-dir). Strata always does; "
              "--no-cache-index-header is refused.");
  s->add_option("--store.index-header-lazy-download-strategy", f->lazy_download_strategy,
                "Strategy of how to download index headers lazily. Supported values: eager, lazy. "
                "If eager, always download index header during initial load. If lazy, download "
                "index header during query time.")
      ->capture_default_str()
      ->check(CLI::IsMember({"eager", "lazy"}));
  s->add_option("--store.grpc.series-max-concurrency", f->series_concurrency,
                "Maximum number of concurrent Series calls.")
      ->capture_default_str();
  s->add_option("--consistency-delay", f->consistency_delay,
                "Minimum age of a block (from its ULID) before it is served, except blocks the "
                "compactor wrote.")
      ->capture_default_str();
  s->add_option("--ignore-deletion-marks-delay", f->ignore_deletion_marks_delay,
                "Blocks marked for deletion longer ago than this are no longer served.")
      ->capture_default_str();
  s->add_flag("--store.enable-index-header-lazy-reader,!--no-store.enable-index-header-lazy-reader",
              f->lazy_index_header,
              "Unload index-headers when idle and load them again on use (on by default in "
              "Strata, off in Thanos).");
  s->add_flag("--store.enable-lazy-expanded-postings,!--no-store.enable-lazy-expanded-postings",
              f->lazy_expanded_postings,
              "If true, Store Gateway will estimate postings size and try to lazily expand "
              "postings if it downloads less data than expanding all postings.");
  s->add_option("--store.index-header-lazy-reader-idle-timeout", f->lazy_idle_timeout,
                "Unload an index-header after this long without queries (0 disables).")
      ->capture_default_str();
  AddWebFlags(*s, f->web, /*route_prefix=*/false, /*disable=*/true);
  s->add_option("--bucket-web-label", f->bucket_web_label,
                "External block label to use as group title in the bucket web UI.");
  AddGraceFlags(*s, f->grace, /*grpc=*/true);
  AddRequestLoggingFlags(*s, f->request_logging);
  s->callback([f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("store", RunStore(*f));
  });
}

}  // namespace strata::cmd
