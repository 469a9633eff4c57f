// `strata tools bucket retention|cleanup|downsample`: the compactor's retention, clean-up and
// downsampling on their own, with Thanos v0.34's flags. They run the compactor's own code
// (compact::BucketCompactor), so they select, mark and delete exactly as `strata compact` does.
#include <CLI/CLI.hpp>

#include <memory>

#include "base/duration.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "cmd/command.h"
#include "cmd/compact_flags.h"
#include "cmd/tools_bucket.h"
#include "compact/compactor.h"
#include "server/http_server.h"
#include "server/web_config.h"

namespace strata::cmd {
namespace {

struct SweepToolFlags {
  SweepFlags sweep;
  int block_sync_concurrency = 20;
  BlockSelectorFlags selector;
};

void AddSweepToolFlags(CLI::App& cmd, SweepToolFlags& f, bool retention) {
  AddSweepFlags(cmd, f.sweep, retention);
  cmd.add_option("--block-sync-concurrency", f.block_sync_concurrency,
                 "Number of goroutines to use when syncing block metadata from object storage.")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  AddBlockSelectorFlags(cmd, f.selector, retention ? "apply retention to" : "clean up",
                        /*time_range=*/false);
}

Result<compact::CompactorOptions> SweepOptions(const SweepToolFlags& f) {
  compact::CompactorOptions o;
  o.data_dir = "";  // metas are kept in memory only
  STRATA_RETURN_IF_ERROR(ApplySweepFlags(f.sweep, o));
  o.meta_fetch_concurrency = f.block_sync_concurrency;
  STRATA_ASSIGN_OR_RETURN(o.selector, f.selector.Parse());
  return o;
}

Status RunSweep(const ObjstoreFlags& objstore, const SweepToolFlags& f, bool retention) {
  STRATA_ASSIGN_OR_RETURN(compact::CompactorOptions o, SweepOptions(f));
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(objstore, &registry));
  log::Warn("GLOBAL COMPACTOR SHOULD __NOT__ BE RUNNING ON THE SAME BUCKET");
  compact::BucketCompactor c(std::move(bucket), o, &registry);
  if (retention) {
    for (auto [ms, what] : {std::pair{o.retention_raw_ms, "raw samples"},
                            std::pair{o.retention_5m_ms, "5 min aggregated samples"},
                            std::pair{o.retention_1h_ms, "1 hour aggregated samples"}}) {
      if (ms > 0)
        log::Info(std::string("retention policy of ") + what + " is enabled",
                  {{"duration", FormatDuration(ms)}});
    }
    STRATA_RETURN_IF_ERROR(c.RetentionOnce());
    log::Info("optional retention apply done");
    return Status::OK();
  }
  STRATA_RETURN_IF_ERROR(c.CleanUpOnce());
  log::Info("cleanup done");
  return Status::OK();
}

void RegisterSweep(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code,
                   bool retention) {
  auto f = std::make_shared<SweepToolFlags>();
  CLI::App* cmd =
      retention
          ? bucket.add_subcommand("retention",
                                  "Retention applies retention policies on the given bucket. "
                                  "Please make sure no compactor is running on the same bucket "
                                  "at the same time.")
          : bucket.add_subcommand("cleanup", "Cleans up all blocks marked for deletion.");
  AddObjstoreFlags(*cmd, *objstore);
  AddSweepToolFlags(*cmd, *f, retention);
  cmd->callback([objstore, f, exit_code, retention] {
    const std::string name = retention ? "retention" : "cleanup";
    if (Status st = RunSweep(*objstore, *f, retention); !st.ok())
      *exit_code = Fail("bucket " + name + ": " + st.ToString());
  });
}

struct DownsampleFlags {
  std::string http_address = "0.0.0.0:10902";
  std::string http_config;
  GraceFlags grace;
  std::string wait_interval = "5m";
  int concurrency = 1;
  int block_files_concurrency = 1;
  std::string data_dir = "./data";
  std::string hash_func;
};

Status RunDownsample(const ObjstoreFlags& objstore, const DownsampleFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(int64_t interval, ParseDuration(f.wait_interval));
  if (interval <= 0) return Status::InvalidArgument("--wait-interval must be positive");
  STRATA_RETURN_IF_ERROR(block::CheckHashFunc(f.hash_func));
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(objstore, &registry));
  compact::CompactorOptions o;
  o.data_dir = f.data_dir;
  o.consistency_delay_ms = 0;  // as Thanos's: meta.json is uploaded last, so a block is whole
  o.downsample_concurrency = f.concurrency;
  o.block_files_concurrency = f.block_files_concurrency;
  o.hash_func = f.hash_func;
  compact::BucketCompactor c(std::move(bucket), o, &registry);

  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          StartStatusServer(f.http_address, f.http_config, registry));
  log::Info("starting downsample node", {{"http_port", std::to_string(http->port())}});
  // Unlike Thanos's, a failed pass does not end the process: it is logged and the next pass
  // tries again (a block whose data cannot be read is marked no-downsample, as by the compactor).
  auto pass = [&] {
    if (Status st = c.DownsampleOnce(); !st.ok())
      log::Error("downsampling failed; retrying next pass", {{"err", st.ToString()}});
  };
  pass();
  auto periodic = std::make_unique<Periodic>(interval, pass);
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  periodic.reset();
  http->Shutdown(grace.http_ms);
  return Status::OK();
}

void RegisterDownsample(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<DownsampleFlags>();
  CLI::App* cmd = bucket.add_subcommand(
      "downsample", "Continuously downsamples blocks in an object store bucket.");
  AddObjstoreFlags(*cmd, *objstore);
  cmd->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  AddHttpConfigFlag(*cmd, f->http_config);
  AddGraceFlags(*cmd, f->grace, /*grpc=*/false);
  cmd->add_option("--wait-interval", f->wait_interval, "Wait interval between downsample runs.")
      ->capture_default_str();
  cmd->add_option("--downsample.concurrency", f->concurrency,
                  "Number of goroutines to use when downsampling blocks.")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--block-files-concurrency", f->block_files_concurrency,
                  "Number of goroutines to use when fetching/uploading block files from object "
                  "storage.")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--data-dir", f->data_dir,
                  "Data directory in which to cache blocks and process downsamplings.")
      ->capture_default_str();
  AddHashFuncFlag(*cmd, f->hash_func);
  cmd->callback([objstore, f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("tools bucket downsample", RunDownsample(*objstore, *f));
  });
}

}  // namespace

void RegisterBucketCompactTools(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore,
                                int* exit_code) {
  RegisterSweep(bucket, objstore, exit_code, /*retention=*/true);
  RegisterSweep(bucket, objstore, exit_code, /*retention=*/false);
  RegisterDownsample(bucket, objstore, exit_code);
}

}  // namespace strata::cmd
