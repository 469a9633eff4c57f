// `strata tools bucket replicate`: copies blocks from one bucket to another, with Thanos
// v0.34's flags, once (--single-run, --id) or every minute.
#include <CLI/CLI.hpp>

#include <filesystem>

#include "base/duration.h"
#include "base/file.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "base/ulid.h"
#include "cmd/tools_bucket.h"
#include "promql/parser.h"
#include "server/http_server.h"
#include "server/web_config.h"
#include "tools/replicate.h"

namespace strata::cmd {
namespace {

struct ReplicateFlags {
  ObjstoreFlags to{.name = "objstore-to"};
  std::string http_address = "0.0.0.0:10902";
  std::string http_config;
  GraceFlags grace;
  std::vector<std::string> resolutions = {"0s", "5m", "1h"};
  int compaction_min = 1, compaction_max = 4;
  std::vector<int> compactions;
  std::string matcher;
  bool single_run = false;
  BlockSelectorFlags time;  // --min-time, --max-time
  std::vector<std::string> ids;
  bool ignore_marked_for_deletion = false;
};

Result<tools::ReplicateOptions> Options(const ReplicateFlags& f) {
  tools::ReplicateOptions o;
  o.resolutions.clear();
  for (const auto& r : f.resolutions) {
    auto ms = ParseDuration(r);
    if (!ms.ok()) return ms.status().WithContext("--resolution");
    o.resolutions.push_back(*ms);
  }
  if (!f.compactions.empty()) {
    o.compaction_levels = f.compactions;
  } else {
    if (f.compaction_min > f.compaction_max)
      return Status::InvalidArgument("compaction-min must be less than or equal to compaction-max");
    o.compaction_levels.clear();
    for (int l = f.compaction_min; l <= f.compaction_max; l++) o.compaction_levels.push_back(l);
  }
  if (!f.matcher.empty()) {
    // Alertmanager's matcher syntax: {a="b",c=~"d"} or a="b".
    const std::string sel = f.matcher.front() == '{' ? f.matcher : "{" + f.matcher + "}";
    auto ms = promql::ParseMetricSelector(sel);
    if (!ms.ok()) return ms.status().WithContext("parse block label matchers");
    o.matchers = std::move(*ms);
  }
  for (const auto& id : f.ids) {
    if (!Ulid::IsValid(id))
      return Status::InvalidArgument("invalid ULID found in --id flag: " + id);
    o.ids.push_back(id);
  }
  const BlockSelectorFlags time = f.time;
  STRATA_RETURN_IF_ERROR(time.Parse().status());
  o.time_range = [time]() -> Result<std::pair<int64_t, int64_t>> {
    STRATA_ASSIGN_OR_RETURN(block::BlockSelector sel, time.Parse());
    return std::make_pair(sel.min_time, sel.max_time);
  };
  o.ignore_marked_for_deletion = f.ignore_marked_for_deletion;
  return o;
}

Status RunReplicate(const ObjstoreFlags& from_flags, const ReplicateFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  if (!f.to.given())
    return Status::InvalidArgument("No supported bucket was configured to replicate to");
  STRATA_ASSIGN_OR_RETURN(tools::ReplicateOptions opts, Options(f));
  STRATA_ASSIGN_OR_RETURN(opts.work_dir, MakeTempDir("strata-replicate-"));
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> from,
                          OpenBucket(from_flags, &registry));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> to, OpenBucket(f.to, &registry));
  tools::ReplicateMetrics metrics(registry);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          StartStatusServer(f.http_address, f.http_config, registry));
  log::Info("Listening for http service", {{"address", f.http_address}});
  auto run = [&]() -> Status {
    log::Info("running replication attempt", {{"replication-run-id", Ulid::New(NowMs()).String()}});
    return tools::ReplicateOnce(*from, *to, opts, metrics);
  };
  Status result;
  if (f.single_run || !f.ids.empty()) {
    result = run().WithContext("replication execute");
  } else {
    auto& runs = registry.AddCounter("thanos_replicate_replication_runs_total",
                                     "The number of replication runs split by success and error.",
                                     {"result"});
    auto& durations =
        registry.AddHistogram("thanos_replicate_replication_run_duration_seconds",
                              "The Duration of replication runs split by success and error.",
                              {"result"}, DefaultDurationBuckets());
    auto pass = [&] {
      const auto t0 = std::chrono::steady_clock::now();
      Status st = run();
      const char* r = st.ok() ? "success" : "error";
      runs.WithLabelValues({r}).Inc();
      durations.WithLabelValues({r}).Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (st.ok()) {
        log::Info("ran replication successfully");
      } else {
        log::Error("running replication failed", {{"err", st.ToString()}});
      }
    };
    pass();
    auto periodic = std::make_unique<Periodic>(60 * 1000, pass);
    const int sig = shutdown::Wait();
    log::Info("shutting down", {{"signal", std::to_string(sig)}});
  }
  std::error_code ec;
  std::filesystem::remove_all(opts.work_dir, ec);
  http->Shutdown(grace.http_ms);
  return result;
}

}  // namespace

void RegisterReplicate(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<ReplicateFlags>();
  CLI::App* cmd = bucket.add_subcommand(
      "replicate",
      "Replicate data from one object storage to another. NOTE: Currently it works only with "
      "Thanos blocks (meta.json has to have Thanos metadata).");
  AddObjstoreFlags(*cmd, *objstore);
  AddObjstoreFlags(*cmd, f->to);
  cmd->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  AddHttpConfigFlag(*cmd, f->http_config);
  AddGraceFlags(*cmd, f->grace, /*grpc=*/false);
  cmd->add_option("--resolution", f->resolutions,
                  "Only blocks with these resolutions will be replicated. Repeated flag.")
      ->capture_default_str();
  cmd->add_option("--compaction-min", f->compaction_min,
                  "Only blocks with at least this compaction level will be replicated.")
      ->capture_default_str();
  cmd->add_option("--compaction-max", f->compaction_max,
                  "Only blocks up to a maximum of this compaction level will be replicated.")
      ->capture_default_str();
  cmd->add_option("--compaction", f->compactions,
                  "Only blocks with these compaction levels will be replicated. Repeated flag. "
                  "Overrides compaction-min and compaction-max if set.");
  cmd->add_option("--matcher", f->matcher,
                  "blocks whose external labels match this matcher will be replicated. All "
                  "Prometheus matchers are supported, including =, !=, =~ and !~.");
  cmd->add_flag("--single-run", f->single_run, "Run replication only one time, then exit.");
  cmd->add_option("--min-time", f->time.min_time,
                  "Start of time range limit to replicate. Thanos Replicate will replicate only "
                  "metrics, which happened later than this value. Option can be a constant time "
                  "in RFC3339 format or time duration relative to current time, such as -1d or "
                  "2h45m. Valid duration units are ms, s, m, h, d, w, y.")
      ->capture_default_str();
  cmd->add_option("--max-time", f->time.max_time,
                  "End of time range limit to replicate. Thanos Replicate will replicate only "
                  "metrics, which happened earlier than this value. Option can be a constant time "
                  "in RFC3339 format or time duration relative to current time, such as -1d or "
                  "2h45m. Valid duration units are ms, s, m, h, d, w, y.")
      ->capture_default_str();
  cmd->add_option("--id", f->ids,
                  "Block to be replicated to the destination bucket. IDs will be used to match "
                  "blocks and other matchers will be ignored. When specified, this command will "
                  "be run only once after successful replication. Repeated field");
  cmd->add_flag("--ignore-marked-for-deletion", f->ignore_marked_for_deletion,
                "Do not replicate blocks that have deletion mark.");
  cmd->callback([objstore, f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("tools bucket replicate", RunReplicate(*objstore, *f));
  });
}

}  // namespace strata::cmd
