// `strata tools bucket ls|inspect|upload-blocks`: what is in a bucket, with Thanos's flags, and
// uploading local blocks (Thanos v0.36's upload-blocks) to backfill a bucket.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "block/block.h"
#include "cmd/command.h"
#include "objstore/config.h"
#include "tools/bucket_tools.h"
#include "tsdb/block.h"

namespace strata::cmd {
namespace {

Result<std::vector<block::BucketBlock>> ListBlocks(const ObjstoreFlags& f) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(f, nullptr));
  return block::FetchBlocks(*bucket, {.sizes = true});
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

// k=v or k="v", as Thanos's --label.
Result<Label> ParseLabelFlag(const std::string& s) {
  const size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--label " + s + ": want name=\"value\"");
  }
  std::string v = s.substr(eq + 1);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return Label{s.substr(0, eq), v};
}

Status UploadBlocks(const ObjstoreFlags& f, const std::string& path,
                    const std::vector<std::string>& label_flags) {
  std::vector<Label> labels;
  for (const auto& l : label_flags) {
    STRATA_ASSIGN_OR_RETURN(Label x, ParseLabelFlag(l));
    labels.push_back(std::move(x));
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<objstore::Bucket> bucket, OpenBucket(f, nullptr));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> dirs, tsdb::ListBlockDirs(path));
  tsdb::ThanosMeta thanos;
  thanos.labels = Labels::FromUnsorted(std::move(labels));
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

void RegisterUploadBlocks(CLI::App& bucket, int* exit_code) {
  auto flags = std::make_shared<ObjstoreFlags>();
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

}  // namespace

void RegisterBucketTools(CLI::App& tools, int* exit_code) {
  CLI::App* bucket = tools.add_subcommand("bucket", "Bucket utility commands.");
  bucket->require_subcommand(1);
  RegisterLs(*bucket, exit_code);
  RegisterInspect(*bucket, exit_code);
  RegisterUploadBlocks(*bucket, exit_code);
}

}  // namespace strata::cmd
