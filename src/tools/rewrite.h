// `tools bucket rewrite`: rewrites chosen blocks with series deleted (Thanos's deletion
// requests) and/or relabelled, as Thanos v0.34: relabelling first, then deletions; a change
// log of what changed; the new block gets a new ULID, source bucket.rewrite, itself as its only
// compaction source and a thanos.rewrites entry recording the old sources and what was applied.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/matcher.h"
#include "base/status.h"
#include "objstore/bucket.h"
#include "relabel/relabel.h"

namespace strata::tools {

// One entry of --rewrite.to-delete-config: series matching every matcher lose the samples in
// the intervals (inclusive ms), or everything without intervals.
struct DeletionRequest {
  std::string selector;  // as written, e.g. {__name__="up", job=~"api.*"}
  Matchers matchers;
  std::vector<std::pair<int64_t, int64_t>> intervals;
  std::string request_id;
};
Result<std::vector<DeletionRequest>> ParseDeletionRequests(const std::string& yaml);

struct RewriteOptions {
  std::vector<std::string> ids;
  std::string tmp_dir;
  bool dry_run = true;
  bool prom_blocks = false;    // no external labels needed
  bool delete_blocks = false;  // mark the originals for deletion once rewritten
  std::string hash_func;
  bool change_log = true;  // <tmp.dir>/<new block>/change.log (not uploaded)
  std::vector<DeletionRequest> deletions;
  std::vector<relabel::Config> relabels;
};

// Rewrites each block in turn; the first failure ends the run.
Status RewriteBlocks(objstore::Bucket& bucket, const RewriteOptions& opts);

}  // namespace strata::tools
