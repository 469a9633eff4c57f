// `strata tools bucket rewrite`: Thanos v0.34's block rewrite (tools/rewrite.h).
#include <CLI/CLI.hpp>

#include <filesystem>

#include "base/env.h"
#include "base/ulid.h"
#include "block/block.h"
#include "cmd/tools_bucket.h"
#include "tools/rewrite.h"

namespace strata::cmd {
namespace {

struct RewriteFlags {
  tools::RewriteOptions opts;
  std::string to_delete, to_delete_file, to_relabel, to_relabel_file;
};

Status RunRewrite(const ObjstoreFlags& objstore, RewriteFlags f) {
  for (const auto& id : f.opts.ids) {
    if (!Ulid::IsValid(id))
      return Status::InvalidArgument("id is not a valid block ULID, got: " + id);
  }
  STRATA_RETURN_IF_ERROR(block::CheckHashFunc(f.opts.hash_func));
  STRATA_ASSIGN_OR_RETURN(std::string del, ReadOptionalConfig("rewrite.to-delete-config",
                                                              f.to_delete, f.to_delete_file));
  STRATA_ASSIGN_OR_RETURN(std::string rel, ReadOptionalConfig("rewrite.to-relabel-config",
                                                              f.to_relabel, f.to_relabel_file));
  if (del.empty() && rel.empty())
    return Status::InvalidArgument("rewrite configuration should be provided");
  STRATA_ASSIGN_OR_RETURN(del, ExpandEnvParens(del));
  STRATA_ASSIGN_OR_RETURN(rel, ExpandEnvParens(rel));
  STRATA_ASSIGN_OR_RETURN(f.opts.deletions, tools::ParseDeletionRequests(del));
  if (!rel.empty()) {
    auto configs = relabel::ParseConfigs(rel);
    if (!configs.ok()) return configs.status().WithContext("parsing relabel configuration");
    f.opts.relabels = std::move(*configs);
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(objstore, nullptr));
  return tools::RewriteBlocks(*bucket, f.opts);
}

}  // namespace

void RegisterRewrite(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<RewriteFlags>();
  f->opts.tmp_dir = (std::filesystem::temp_directory_path() / "thanos-rewrite").string();
  CLI::App* cmd = bucket.add_subcommand(
      "rewrite",
      "Rewrite chosen blocks in the bucket, while deleting or modifying series. Resulted block "
      "has modified stats in meta.json; compaction.sources is the new block itself, and a "
      "thanos.rewrites entry records the old sources and what was applied. NOTE: turn off the "
      "compactor while doing this. Use FILESYSTEM type of bucket to rewrite block on disk "
      "(suitable for vanilla Prometheus). After rewrite, it's caller responsibility to delete or "
      "mark source block for deletion to avoid overlaps. WARNING: This procedure is "
      "*IRREVERSIBLE* after certain time (delete delay), so do backup your blocks first.");
  AddObjstoreFlags(*cmd, *objstore);
  cmd->add_option("--id", f->opts.ids, "ID (ULID) of the blocks for rewrite (repeated flag).")
      ->required();
  cmd->add_option("--tmp.dir", f->opts.tmp_dir, "Working directory for temporary files")
      ->capture_default_str();
  cmd->add_flag("--dry-run,!--no-dry-run", f->opts.dry_run,
                "Prints the series changes instead of doing them. Defaults to true, for user to "
                "double check. (: Pass --no-dry-run to skip this.");
  cmd->add_flag("--prom-blocks", f->opts.prom_blocks,
                "If specified, we assume the blocks to be uploaded are only used with Prometheus "
                "so we don't check external labels in this case.");
  cmd->add_flag("--delete-blocks", f->opts.delete_blocks,
                "Whether to delete the original blocks after rewriting blocks successfully. "
                "Available in non dry-run mode only.");
  AddHashFuncFlag(*cmd, f->opts.hash_func);
  AddPathOrContentFlags(*cmd, "rewrite.to-delete-config",
                        "[]metadata.DeletionRequest that will be applied to blocks",
                        f->to_delete_file, f->to_delete);
  AddPathOrContentFlags(*cmd, "rewrite.to-relabel-config",
                        "relabel configs that will be applied to blocks", f->to_relabel_file,
                        f->to_relabel);
  cmd->add_flag("--rewrite.add-change-log,!--no-rewrite.add-change-log", f->opts.change_log,
                "If specified, all modifications are written to new block directory. Disable if "
                "latency is to high.");
  cmd->callback([objstore, f, exit_code] {
    if (Status st = RunRewrite(*objstore, *f); !st.ok())
      *exit_code = Fail("tools bucket rewrite: " + st.ToString());
  });
}

}  // namespace strata::cmd
