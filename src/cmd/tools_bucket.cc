// `strata tools bucket ls|inspect`: what is in a bucket, with Thanos's flags.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "block/block.h"
#include "cmd/command.h"
#include "objstore/config.h"
#include "tools/bucket_tools.h"

namespace strata::cmd {
namespace {

Result<std::vector<block::BucketBlock>> ListBlocks(const ObjstoreFlags& f) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(f, nullptr));
  return block::FetchBlocks(*bucket);
}

void RegisterLs(CLI::App& bucket, int* exit_code) {
  auto flags = std::make_shared<ObjstoreFlags>();
  auto output = std::make_shared<std::string>();
  auto exclude_delete = std::make_shared<bool>(false);
  CLI::App* ls = bucket.add_subcommand("ls", "List all blocks in the bucket.");
  AddObjstoreFlags(*ls, *flags);
  ls->add_option("-o,--output", *output,
                 "Optional format in which to print each block's information: wide.")
      ->check(CLI::IsMember({"", "wide"}));
  ls->add_flag("--exclude-delete", *exclude_delete, "Exclude blocks marked for deletion.");
  ls->callback([flags, output, exclude_delete, exit_code] {
    auto blocks = ListBlocks(*flags);
    if (!blocks.ok()) {
      *exit_code = Fail("bucket ls: " + blocks.status().ToString());
      return;
    }
    if (*exclude_delete)
      std::erase_if(*blocks, [](const auto& b) { return b.marked_for_deletion; });
    std::fputs(tools::FormatBucketLs(*blocks, *output == "wide").c_str(), stdout);
  });
}

void RegisterInspect(CLI::App& bucket, int* exit_code) {
  auto flags = std::make_shared<ObjstoreFlags>();
  auto opts = std::make_shared<tools::InspectOptions>();
  CLI::App* inspect = bucket.add_subcommand(
      "inspect", "Inspect all blocks in the bucket in detailed, table-like way.");
  AddObjstoreFlags(*inspect, *flags);
  inspect
      ->add_option("--price-per-gib-month", opts->price_per_gib_month,
                   "Object storage price in $ per GiB and month, for the cost estimate.")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  inspect->callback([flags, opts, exit_code] {
    auto blocks = ListBlocks(*flags);
    if (!blocks.ok()) {
      *exit_code = Fail("bucket inspect: " + blocks.status().ToString());
      return;
    }
    std::fputs(tools::FormatBucketInspect(*blocks, *opts).c_str(), stdout);
  });
}

}  // namespace

void RegisterBucketTools(CLI::App& tools, int* exit_code) {
  CLI::App* bucket = tools.add_subcommand("bucket", "Bucket utility commands.");
  bucket->require_subcommand(1);
  RegisterLs(*bucket, exit_code);
  RegisterInspect(*bucket, exit_code);
}

}  // namespace strata::cmd
