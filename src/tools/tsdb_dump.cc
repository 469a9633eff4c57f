#include "tools/tsdb_dump.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "base/go_format.h"
#include "storage/block_querier.h"

namespace strata::tools {
namespace {

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

bool HasEntries(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::directory_iterator(dir, ec) != std::filesystem::directory_iterator();
}

}  // namespace

Status DumpSamples(const DumpOptions& opts, std::FILE* out) {
  std::vector<std::string> dirs;
  if (Exists(opts.path + "/meta.json")) {
    dirs.push_back(opts.path);
  } else {
    STRATA_ASSIGN_OR_RETURN(dirs, tsdb::ListBlockDirs(opts.path));
    if (Exists(opts.path + "/wal") && HasEntries(opts.path + "/wal")) {
      std::fprintf(stderr,
                   "warning: %s/wal is not read: strata dumps persisted blocks only, "
                   "not the head of a running Prometheus\n",
                   opts.path.c_str());
    }
  }
  std::vector<std::shared_ptr<const tsdb::Block>> blocks;
  for (const auto& d : dirs) {
    STRATA_ASSIGN_OR_RETURN(auto b, tsdb::Block::Open(d));
    blocks.push_back(std::move(b));
  }
  Matchers ms = opts.matchers;
  if (ms.empty()) {
    STRATA_ASSIGN_OR_RETURN(Matcher all, Matcher::Make(MatchType::kRegexMatch, "", ".*"));
    ms.push_back(std::move(all));
  }
  auto q = storage::NewBlocksQuerier(std::move(blocks));
  storage::SelectHints hints{.start = opts.min_time, .end = opts.max_time};
  auto set = q->Select(hints, ms);
  std::string line;
  while (set->Next()) {
    auto series = set->At();
    const std::string lbs = series->labels().String();
    auto it = series->Iterator();
    while (it->Next()) {
      line.assign(lbs);
      line += ' ';
      line += GoFormatFloat(it->v());
      line += ' ';
      line += std::to_string(it->t());
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), out);
    }
    STRATA_RETURN_IF_ERROR(it->status());
  }
  STRATA_RETURN_IF_ERROR(set->status());
  if (std::fflush(out) != 0) return Status::IOError("writing the dump failed");
  return Status::OK();
}

}  // namespace strata::tools
