// `strata tools bucket ls|inspect|upload-blocks|web|mark`: what is in a bucket, with Thanos's
// flags, uploading local blocks (Thanos v0.36's upload-blocks) to backfill a bucket, and the block
// viewer in the browser.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/duration.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "block/block.h"
#include "cmd/command.h"
#include "cmd/tools_bucket.h"
#include "objstore/config.h"
#include "server/http_server.h"
#include "server/web_config.h"
#include "tools/bucket_tools.h"
#include "tsdb/block.h"
#include "ui/blocks_api.h"

namespace strata::cmd {
namespace {

Result<std::vector<block::BucketBlock>> ListBlocks(const ObjstoreFlags& f) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(f, nullptr));
  return block::FetchBlocks(*bucket, {.sizes = true});
}

void RegisterLs(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> flags, int* exit_code) {
  auto output = std::make_shared<std::string>();
  auto exclude_delete = std::make_shared<bool>(false);
  CLI::App* ls = bucket.add_subcommand("ls", "List all blocks in the bucket.");
  AddObjstoreFlags(*ls, *flags);
  ls->add_option("-o,--output", *output,
                 "Optional format in which to print each block's information. Options are 'json', "
                 "'wide' or a default short format.")
      ->check(CLI::IsMember({"", "wide", "json"}));
  ls->add_flag("--exclude-delete", *exclude_delete, "Exclude blocks marked for deletion.");
  ls->callback([flags, output, exclude_delete, exit_code] {
    auto blocks = ListBlocks(*flags);
    if (!blocks.ok()) {
      *exit_code = Fail("bucket ls: " + blocks.status().ToString());
      return;
    }
    if (*exclude_delete)
      std::erase_if(*blocks, [](const auto& b) { return b.marked_for_deletion; });
    if (*output == "json") {
      // Each complete block's meta.json, tab-indented, as Thanos's JSON encoder writes them.
      for (const auto& b : *blocks) {
        if (!b.partial && b.error.empty()) {
          std::printf("%s\n", tsdb::SerializeBlockMeta(b.meta).c_str());
        }
      }
      return;
    }
    std::fputs(tools::FormatBucketLs(*blocks, *output == "wide").c_str(), stdout);
    // Thanos lists only blocks with a meta.json; what else is there goes to stderr.
    for (const auto& b : *blocks) {
      if (b.partial) log::Warn("partial upload (no meta.json)", {{"block", b.id}});
      if (!b.partial && !b.error.empty())
        log::Warn("unreadable meta.json", {{"block", b.id}, {"err", b.error}});
    }
  });
}

struct InspectFlags {
  tools::InspectOptions opts;
  double price_per_gib_month = 0.023;
  std::vector<std::string> selector;
  std::string timeout = "5m";
};

Status Inspect(const ObjstoreFlags& objstore, const InspectFlags& f) {
  STRATA_ASSIGN_OR_RETURN(Labels selector, ParseLabelFlags("--selector", f.selector));
  STRATA_ASSIGN_OR_RETURN(int64_t timeout, ParseDuration(f.timeout));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(objstore, nullptr));
  STRATA_ASSIGN_OR_RETURN(std::vector<block::BucketBlock> blocks,
                          block::FetchBlocks(*bucket, {.sizes = true, .timeout_ms = timeout}));
  // --selector: every pair must be one of the block's external labels (partial and unreadable
  // blocks have none, so a selector leaves them out).
  std::erase_if(blocks, [&](const block::BucketBlock& b) {
    for (const Label& l : selector) {
      const bool has = !b.partial && b.error.empty() && b.meta.thanos &&
                       b.meta.thanos->labels.Has(l.name) &&
                       b.meta.thanos->labels.Get(l.name) == l.value;
      if (!has) return true;
    }
    return false;
  });
  std::fputs(tools::FormatBucketInspect(blocks, f.opts).c_str(), stdout);
  // Strata's additions, on stderr so that the table stays Thanos's.
  std::fputs(tools::SummarizeBucket(blocks, f.price_per_gib_month).c_str(), stderr);
  return Status::OK();
}

void RegisterInspect(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<InspectFlags>();
  CLI::App* inspect = bucket.add_subcommand(
      "inspect", "Inspect all blocks in the bucket in detailed, table-like way.");
  AddObjstoreFlags(*inspect, *objstore);
  inspect
      ->add_option("--price-per-gib-month", f->price_per_gib_month,
                   "Object storage price in $ per GiB and month, for the cost estimate printed "
                   "on stderr (Strata only).")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  inspect->add_option("-l,--selector", f->selector,
                      "Selects blocks based on label, e.g. '-l key1=\"value1\" -l "
                      "key2=\"value2\"'. All key value pairs must match.");
  inspect->add_option("--timeout", f->timeout, "Timeout to download metadata from remote storage")
      ->capture_default_str();
  inspect
      ->add_option("--sort-by", f->opts.sort_by,
                   "Sort by columns. It's also possible to sort by multiple columns, e.g. "
                   "'--sort-by FROM --sort-by UNTIL'. I.e., if the 'FROM' value is equal the rows "
                   "are then further sorted by the 'UNTIL' value.")
      ->capture_default_str()
      ->check(CLI::IsMember(tools::InspectColumns()));
  inspect
      ->add_option("--output", f->opts.output,
                   "Output format for result. Currently supports table, cvs, tsv.")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "tsv", "csv"}));
  inspect->callback([objstore, f, exit_code] {
    if (Status st = Inspect(*objstore, *f); !st.ok())
      *exit_code = Fail("bucket inspect: " + st.ToString());
  });
}

Status UploadBlocks(const ObjstoreFlags& f, const std::string& path,
                    const std::vector<std::string>& label_flags) {
  STRATA_ASSIGN_OR_RETURN(Labels labels, ParseLabelFlags("--label", label_flags));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(f, nullptr));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> dirs, tsdb::ListBlockDirs(path));
  tsdb::ThanosMeta thanos;
  thanos.labels = std::move(labels);
  thanos.source = "upload";
  for (const auto& d : dirs) {
    const std::string id = std::filesystem::path(d).filename().string();
    STRATA_ASSIGN_OR_RETURN(bool exists, bucket->Exists(id + "/meta.json"));
    if (exists) {
      std::printf("%s already in the bucket, skipped\n", id.c_str());
      continue;
    }
    STRATA_RETURN_IF_ERROR(block::UploadBlock(*bucket, d, &thanos).WithContext("upload " + d));
    std::printf("%s uploaded\n", id.c_str());
  }
  return Status::OK();
}

void RegisterUploadBlocks(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> flags, int* exit_code) {
  auto path = std::make_shared<std::string>("./data");
  auto labels = std::make_shared<std::vector<std::string>>();
  CLI::App* up = bucket.add_subcommand(
      "upload-blocks", "Upload the blocks of a local directory to the bucket (meta.json last).");
  AddObjstoreFlags(*up, *flags);
  up->add_option("--path", *path, "Directory holding the blocks (ULID directories).")
      ->capture_default_str();
  up->add_option("--label", *labels,
                 "External label name=\"value\" for the uploaded blocks (repeatable).");
  up->callback([flags, path, labels, exit_code] {
    Status st = UploadBlocks(*flags, *path, *labels);
    if (!st.ok()) *exit_code = Fail("bucket upload-blocks: " + st.ToString());
  });
}

struct MarkFlags {
  std::vector<std::string> ids;
  std::string marker;
  std::string details;
  bool remove = false;
};

Status MarkBlocks(const ObjstoreFlags& objstore, const MarkFlags& f) {
  for (const auto& id : f.ids) {
    if (auto u = Ulid::Parse(id); !u.ok()) {
      return Status::InvalidArgument("--id " + id +
                                     " is not a valid ULID: " + u.status().message());
    }
  }
  if (!f.remove && f.details.empty()) {
    return Status::InvalidArgument("required flag --details not provided");
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(objstore, nullptr));
  for (const auto& id : f.ids) {
    const std::string object = id + "/" + f.marker;
    if (f.remove) {
      STRATA_ASSIGN_OR_RETURN(bool exists, bucket->Exists(object));
      if (!exists) {
        log::Warn("requested to remove the mark, but it does not exist", {{"object", object}});
        continue;
      }
      STRATA_RETURN_IF_ERROR(bucket->Delete(object).WithContext("remove mark " + object));
      continue;
    }
    Status st;
    if (f.marker == "deletion-mark.json") {
      st = block::MarkForDeletion(*bucket, id, f.details);
    } else if (f.marker == "no-compact-mark.json") {
      st = block::MarkNoCompact(*bucket, id, "manual", f.details);
    } else {
      st = block::MarkNoDownsample(*bucket, id, "manual", f.details);
    }
    STRATA_RETURN_IF_ERROR(st.WithContext("mark " + id + " with " + f.marker));
  }
  log::Info("marking done", {{"marker", f.marker}, {"IDs", std::to_string(f.ids.size())}});
  return Status::OK();
}

void RegisterMark(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<MarkFlags>();
  CLI::App* mark = bucket.add_subcommand(
      "mark",
      "Mark block for deletion or no-compact in a safe way. NOTE: If the compactor is currently "
      "running compacting same block, this operation would be potentially a noop.");
  AddObjstoreFlags(*mark, *objstore);
  mark->add_option("--id", f->ids, "ID (ULID) of the blocks to be marked (repeated flag)")
      ->required();
  mark->add_option("--marker", f->marker, "Marker to be put.")
      ->required()
      ->check(
          CLI::IsMember({"deletion-mark.json", "no-compact-mark.json", "no-downsample-mark.json"}));
  mark->add_option("--details", f->details, "Human readable details to be put into marker.");
  mark->add_flag("--remove", f->remove, "Remove the marker.");
  mark->callback([objstore, f, exit_code] {
    Status st = MarkBlocks(*objstore, *f);
    if (!st.ok()) *exit_code = Fail("bucket mark: " + st.ToString());
  });
}

struct BucketWebFlags {
  std::string http_address = "0.0.0.0:10902";
  std::string http_config;
  WebFlags web;
  std::string label;
  std::string refresh = "30m";
  std::string timeout = "5m";
  BlockSelectorFlags selector;
  bool disable_admin_operations = false;
  GraceFlags grace;
};

Status RunBucketWeb(const ObjstoreFlags& objstore, const BucketWebFlags& f) {
  STRATA_RETURN_IF_ERROR(server::CheckWebConfigFile(f.http_config));
  STRATA_ASSIGN_OR_RETURN(const GracePeriods grace, f.grace.Parse());
  STRATA_ASSIGN_OR_RETURN(int64_t refresh, ParseDuration(f.refresh));
  STRATA_ASSIGN_OR_RETURN(int64_t timeout, ParseDuration(f.timeout));
  STRATA_RETURN_IF_ERROR(f.selector.Parse().status());
  Registry registry;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket,
                          OpenBucket(objstore, &registry));
  ui::BlocksApi api(f.label, f.disable_admin_operations, bucket.get());
  block::MetaCache cache;
  // Parsed again at each refresh: relative --min-time/--max-time move with the clock.
  auto refresh_view = [&] { RefreshBlockViewer(*bucket, cache, f.selector.Parse(), api, timeout); };
  refresh_view();
  auto router = std::make_shared<server::Router>();
  api.Register(*router);
  AddStatusEndpoints(
      *router, [] { return std::string(); }, registry);
  server::HttpServerOptions ho;
  ho.address = f.http_address;
  ho.web_config_file = f.http_config;
  ApplyWebFlags(f.web, "bucket", *router, ho);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> http,
                          server::HttpServer::Start(ho, router));
  log::Info("serving the bucket web UI", {{"http_port", std::to_string(http->port())}});
  auto periodic = std::make_unique<Periodic>(refresh, refresh_view);
  const int sig = shutdown::Wait();
  log::Info("shutting down", {{"signal", std::to_string(sig)}});
  periodic.reset();
  http->Shutdown(grace.http_ms);
  return Status::OK();
}

void RegisterWeb(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<BucketWebFlags>();
  CLI::App* web = bucket.add_subcommand("web", "Web interface for remote storage bucket.");
  AddObjstoreFlags(*web, *objstore);
  web->add_option("--http-address", f->http_address, "Listen host:port for HTTP endpoints.")
      ->capture_default_str();
  AddHttpConfigFlag(*web, f->http_config);
  AddWebFlags(*web, f->web, /*route_prefix=*/true, /*disable=*/false);
  web->add_option("--label", f->label, "External block label to use as group title");
  web->add_option("--refresh", f->refresh,
                  "Refresh interval to download metadata from remote storage")
      ->capture_default_str();
  web->add_option("--timeout", f->timeout, "Timeout to download metadata from remote storage")
      ->capture_default_str();
  AddBlockSelectorFlags(*web, f->selector, "show");
  web->add_flag("--disable-admin-operations", f->disable_admin_operations,
                "Disable UI/API admin operations like marking blocks for deletion and no "
                "compaction.");
  AddGraceFlags(*web, f->grace, /*grpc=*/false);
  web->callback([objstore, f, exit_code] {
    shutdown::EnableGracefulStop();
    *exit_code = Finish("tools bucket web", RunBucketWeb(*objstore, *f));
  });
}

}  // namespace

void RegisterBucketTools(CLI::App& tools, int* exit_code) {
  CLI::App* bucket = tools.add_subcommand("bucket", "Bucket utility commands.");
  bucket->require_subcommand(1);
  // One set of objstore flags, on `tools bucket` and on each subcommand, as in Thanos.
  auto objstore = std::make_shared<ObjstoreFlags>();
  AddObjstoreFlags(*bucket, *objstore);
  RegisterLs(*bucket, objstore, exit_code);
  RegisterInspect(*bucket, objstore, exit_code);
  RegisterUploadBlocks(*bucket, objstore, exit_code);
  RegisterWeb(*bucket, objstore, exit_code);
  RegisterMark(*bucket, objstore, exit_code);
  RegisterBucketCompactTools(*bucket, objstore, exit_code);
  RegisterReplicate(*bucket, objstore, exit_code);
  RegisterVerify(*bucket, objstore, exit_code);
  RegisterRewrite(*bucket, objstore, exit_code);
}

}  // namespace strata::cmd
