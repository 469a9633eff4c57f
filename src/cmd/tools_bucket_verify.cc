// `strata tools bucket verify`: Thanos v0.34's block checks and repairs (tools/verify.h).
#include <CLI/CLI.hpp>

#include <filesystem>

#include "base/duration.h"
#include "base/file.h"
#include "base/ulid.h"
#include "cmd/tools_bucket.h"
#include "tools/verify.h"

namespace strata::cmd {
namespace {

struct VerifyFlags {
  ObjstoreFlags backup{.name = "objstore-backup"};
  tools::VerifyOptions opts;
  std::string delete_delay = "0s";
};

Status RunVerify(const ObjstoreFlags& objstore, VerifyFlags f) {
  STRATA_ASSIGN_OR_RETURN(f.opts.delete_delay_ms, ParseDuration(f.delete_delay));
  for (const auto& id : f.opts.ids) {
    if (!Ulid::IsValid(id))
      return Status::InvalidArgument("invalid ULID found in --id flag: " + id);
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(objstore, nullptr));
  std::unique_ptr<objstore::Bucket> backup;
  if (f.backup.given()) {
    STRATA_ASSIGN_OR_RETURN(backup, OpenBucket(f.backup, nullptr));
  }
  STRATA_ASSIGN_OR_RETURN(f.opts.work_dir, MakeTempDir("strata-verify-"));
  Status st = tools::VerifyBucket(*bucket, backup.get(), f.opts);
  std::error_code ec;
  std::filesystem::remove_all(f.opts.work_dir, ec);
  return st;
}

}  // namespace

void RegisterVerify(CLI::App& bucket, std::shared_ptr<ObjstoreFlags> objstore, int* exit_code) {
  auto f = std::make_shared<VerifyFlags>();
  CLI::App* cmd = bucket.add_subcommand(
      "verify",
      "Verify all blocks in the bucket against specified issues. NOTE: Depending on issue this "
      "might take time and will need downloading all specified blocks to disk.");
  AddObjstoreFlags(*cmd, *objstore);
  AddObjstoreFlags(*cmd, f->backup);
  cmd->add_flag("-r,--repair", f->opts.repair,
                "Attempt to repair blocks for which issues were detected");
  cmd->add_option("-i,--issues", f->opts.issues,
                  "Issues to verify (and optionally repair). Possible issue to verify, without "
                  "repair: [overlapped_blocks]; Possible issue to verify and repair: "
                  "[index_known_issues duplicated_compaction]")
      ->capture_default_str();
  cmd->add_option("--id", f->opts.ids,
                  "Block IDs to verify (and optionally repair) only. If none is specified, all "
                  "blocks will be verified. Repeated field");
  cmd->add_option("--delete-delay", f->delete_delay,
                  "Duration after which blocks marked for deletion would be deleted permanently "
                  "from source bucket by compactor component. If delete-delay is non zero, blocks "
                  "will be marked for deletion and compactor component is required to delete "
                  "blocks from source bucket. If delete-delay is 0, blocks will be deleted "
                  "straight away.")
      ->capture_default_str();
  cmd->callback([objstore, f, exit_code] {
    if (Status st = RunVerify(*objstore, *f); !st.ok())
      *exit_code = Fail("tools bucket verify: " + st.ToString());
  });
}

}  // namespace strata::cmd
