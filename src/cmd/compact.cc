// `strata compact`: the compactor. Compacts, deduplicates and applies retention to the blocks of
// a bucket, as `thanos compact` (flags spelled as in Thanos v0.34).
#include <CLI/CLI.hpp>

#include <atomic>

#include "base/duration.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "block/block.h"
#include "cmd/command.h"
#include "cmd/compact_flags.h"
#include "compact/compactor.h"
#include "server/http_server.h"
#include "server/web_config.h"
#include "ui/blocks_api.h"

namespace strata::cmd {
namespace {

struct CompactFlags {
  ObjstoreFlags objstore;
  std::string data_dir = "./data";
  std::string http_address = "0.0.0.0:10902";
  std::string http_config;
  bool wait = false;
  std::string wait_interval = "5m";
  SweepFlags sweep;
  int compact_concurrency = 1;
  int downsample_concurrency = 1;
  bool downsampling_disable = false;
  std::vector<std::string> replica_labels;
  std::string dedup_func;
  bool vertical = false;
  int block_files_concurrency = 1;
  WebFlags web;
  std::string bucket_web_label;
  bool disable_admin_operations = false;
  std::string block_viewer_sync_interval = "1m";
  std::string block_viewer_sync_timeout = "5m";
  std::string cleanup_interval = "5m";
  std::string progress_interval = "5m";
  BlockSelectorFlags selector;
  GraceFlags grace;
  int blocks_fetch_concurrency = 1;
  int meta_fetch_concurrency = 32;
  std::string hash_func;
};

Status RunCompact(const CompactFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  if (!f.dedup_func.empty() && f.dedup_func != "penalty")
    return Status::InvalidArgument("--deduplication.func=" + f.dedup_func +
                                   ": must be \"\" (one sample per timestamp) or \"penalty\"");
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(f.objstore, &registry));
  compact::CompactorOptions o;
  o.data_dir = f.data_dir;
  STRATA_RETURN_IF_ERROR(ApplySweepFlags(f.sweep, o));
  STRATA_ASSIGN_OR_RETURN(int64_t interval, ParseDuration(f.wait_interval));
  o.concurrency = std::max(1, f.compact_concurrency);
  o.replica_labels = f.replica_labels;
  o.penalty_dedup = f.dedup_func == "penalty";
  o.downsampling = !f.downsampling_disable;
  o.downsample_concurrency = std::max(1, f.downsample_concurrency);
  o.blocks_fetch_concurrency = std::max(1, f.blocks_fetch_concurrency);
  o.block_files_concurrency = std::max(1, f.block_files_concurrency);
  STRATA_RETURN_IF_ERROR(block::CheckHashFunc(f.hash_func));
  o.hash_func = f.hash_func;
  o.meta_fetch_concurrency = std::max(1, f.meta_fetch_concurrency);
  STRATA_ASSIGN_OR_RETURN(o.selector, f.selector.Parse());
  std::shared_ptr<objstore::Bucket> shared_bucket(std::move(bucket));
  compact::BucketCompactor compactor(shared_bucket, o, &registry);

  auto run = [&] {
    log::Info("compaction pass started");
    Status st = compactor.RunOnce();
    if (st.ok()) {
      log::Info("compaction pass done");
    } else {
      log::Error("compaction pass finished with errors; retrying next pass",
                 {{"err", st.ToString()}});
    }
    return st;
  };
  if (!f.wait) return run();

  STRATA_ASSIGN_OR_RETURN(int64_t viewer_interval, ParseDuration(f.block_viewer_sync_interval));
  STRATA_ASSIGN_OR_RETURN(int64_t viewer_timeout, ParseDuration(f.block_viewer_sync_timeout));
  STRATA_ASSIGN_OR_RETURN(int64_t cleanup_interval, ParseDuration(f.cleanup_interval));
  STRATA_ASSIGN_OR_RETURN(int64_t progress_interval, ParseDuration(f.progress_interval));
  std::atomic<bool> first_pass_done{false};
  auto router = std::make_shared<server::Router>();
  ui::BlocksApi blocks_api(f.bucket_web_label, f.disable_admin_operations, shared_bucket.get());
  std::unique_ptr<Periodic> viewer;
  server::HttpServerOptions ho;
  if (!f.web.disable) blocks_api.Register(*router);
  ApplyWebFlags(f.web, "compact", *router, ho);
  AddStatusEndpoints(
      *router, [&] { return first_pass_done ? std::string() : std::string("first pass not done"); },
      registry);
  ho.address = f.http_address;
  ho.web_config_file = f.http_config;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          server::HttpServer::Start(ho, router));
  log::Info("serving", {{"http_port", std::to_string(http->port())}});
  if (!f.web.disable) {
    // The compactor's own meta cache and block selection: each meta.json is read once.
    auto refresh = [&] {
      RefreshBlockViewer(*shared_bucket, compactor.meta_cache(), o.selector, blocks_api,
                         viewer_timeout);
    };
    refresh();
    viewer = std::make_unique<Periodic>(viewer_interval, refresh);
  }
  // Background work between passes, as in Thanos: clean-up (which a pass also does at its start)
  // and the progress forecast of the thanos_compact_todo_* gauges. 0s turns either off.
  std::unique_ptr<Periodic> cleanup, progress;
  if (progress_interval > 0) {
    auto forecast = [&] {
      if (Status st = compactor.UpdateProgress(); !st.ok())
        log::Warn("computing compaction progress failed", {{"err", st.ToString()}});
    };
    forecast();
    progress = std::make_unique<Periodic>(progress_interval, forecast);
  }
  (void)run();
  first_pass_done = true;
  if (cleanup_interval > 0) {
    cleanup = std::make_unique<Periodic>(cleanup_interval, [&] {
      if (Status st = compactor.CleanUpOnce(); !st.ok())
        log::Error("cleaning up blocks failed", {{"err", st.ToString()}});
    });
  }
  auto periodic = std::make_unique<Periodic>(interval, [&] { (void)run(); });
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  periodic.reset();
  cleanup.reset();
  progress.reset();
  viewer.reset();
  http->Shutdown(grace.http_ms);
  return Status::OK();
}

}  // namespace

void RegisterCompactCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<CompactFlags>();
  CLI::App* c =
      app.add_subcommand("compact", "Continuously compacts blocks in an object store bucket.");
  AddObjstoreFlags(*c, f->objstore);
  c->add_option("--data-dir", f->data_dir,
                "Data directory in which to cache blocks and process compactions.")
      ->capture_default_str();
  AddHttpConfigFlag(*c, f->http_config);
  c->add_option("--http-address", f->http_address,
                "Listen host:port for HTTP endpoints (with --wait).")
      ->capture_default_str();
  c->add_flag("--wait,-w", f->wait,
              "Do not exit after all compactions have been processed and wait for new work.");
  c->add_option("--wait-interval", f->wait_interval,
                "Wait interval between consecutive compaction runs (with --wait).")
      ->capture_default_str();
  AddSweepFlags(*c, f->sweep, /*retention=*/true);
  c->add_option("--compact.concurrency", f->compact_concurrency,
                "Number of groups compacted concurrently.")
      ->capture_default_str();
  c->add_option("--downsample.concurrency", f->downsample_concurrency,
                "Number of blocks downsampled concurrently.")
      ->capture_default_str();
  c->add_flag("--downsampling.disable", f->downsampling_disable,
              "Disables downsampling. Not recommended: querying long time ranges without "
              "downsampled data is expensive.");
  c->add_option("--deduplication.replica-label", f->replica_labels,
                "Label to treat as a replica indicator of blocks that can be deduplicated "
                "(repeated flag): the replicas' blocks are merged into one.");
  c->add_option("--deduplication.func", f->dedup_func,
                "Experimental. Deduplication algorithm for merging replicas: \"\" (default) keeps "
                "one sample per timestamp; \"penalty\" picks one replica at a time, as the "
                "querier's penalty deduplication does.");
  c->add_flag("--compact.enable-vertical-compaction", f->vertical,
              "Accepted: overlapping blocks are always merged vertically instead of halting.");
  c->add_option("--block-files-concurrency", f->block_files_concurrency,
                "Number of goroutines to use when fetching/uploading block files from object "
                "storage.")
      ->capture_default_str();
  c->add_option("--compact.blocks-fetch-concurrency", f->blocks_fetch_concurrency,
                "Number of goroutines to use when download block during compaction.")
      ->capture_default_str();
  c->add_option("--block-meta-fetch-concurrency", f->meta_fetch_concurrency,
                "Number of goroutines to use when fetching block metadata from object storage.")
      ->capture_default_str();
  AddBlockSelectorFlags(*c, f->selector, "compact");
  AddHashFuncFlag(*c, f->hash_func);
  AddWebFlags(*c, f->web, /*route_prefix=*/true, /*disable=*/true);
  c->add_option("--bucket-web-label", f->bucket_web_label,
                "External block label to use as group title in the bucket web UI.");
  c->add_flag("--disable-admin-operations", f->disable_admin_operations,
              "Disable UI/API admin operations like marking blocks for deletion and no "
              "compaction.");
  c->add_option("--block-viewer.global.sync-block-interval", f->block_viewer_sync_interval,
                "Repeat interval for syncing the blocks between local and remote view for "
                "/global Block Viewer UI.")
      ->capture_default_str();
  c->add_option("--block-viewer.global.sync-block-timeout", f->block_viewer_sync_timeout,
                "Maximum time for syncing the blocks between local and remote view for /global "
                "Block Viewer UI.")
      ->capture_default_str();
  c->add_option("--compact.cleanup-interval", f->cleanup_interval,
                "How often we should clean up partially uploaded blocks and blocks with deletion "
                "mark in the background when --wait has been enabled. Setting it to \"0s\" "
                "disables it - the cleaning will only happen at the start of each pass.")
      ->capture_default_str();
  c->add_option("--compact.progress-interval", f->progress_interval,
                "Frequency of calculating the compaction progress in the background when --wait "
                "has been enabled. Setting it to \"0s\" disables it. Now compaction, "
                "downsampling and retention progress are supported.")
      ->capture_default_str();
  AddGraceFlags(*c, f->grace, /*grpc=*/false);
  c->callback([f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("compact", RunCompact(*f));
  });
}

}  // namespace strata::cmd
