// `tools bucket verify`: checks a bucket's blocks for Thanos's known issues and, with repair,
// fixes them, keeping a copy of every block it replaces or removes in a backup bucket.
//   overlapped_blocks      blocks of one stream (resolution + external labels) overlapping in
//                          time (verify only)
//   index_known_issues     indexes with out-of-order labels or chunks, duplicated chunks, or
//                          chunks outside the block's range (repair: the block is rewritten
//                          without them)
//   duplicated_compaction  exact duplicates among overlapping blocks (repair: all but one go)
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/bucket.h"

namespace strata::tools {

struct VerifyOptions {
  std::vector<std::string> issues = {"index_known_issues", "overlapped_blocks"};
  bool repair = false;
  std::vector<std::string> ids;  // only these blocks (index_known_issues only)
  int64_t delete_delay_ms = 0;   // replaced blocks: deleted at once (0) or marked for deletion
  std::string work_dir;          // downloads go here
};

// Issue IDs this verify knows.
const std::vector<std::string>& VerifyIssues();

// Runs the checks; found issues are logged (warnings), never errors. Errors are operational:
// the bucket cannot be read, a repair cannot be uploaded, the backup already has the block.
// backup may be null unless opts.repair.
Status VerifyBucket(objstore::Bucket& bucket, objstore::Bucket* backup, const VerifyOptions& opts);

// What GatherIndexHealth found in one block's index ("" when nothing).
struct IndexHealth {
  int64_t series = 0, out_of_order_labels = 0;
  int64_t outside_chunks = 0, complete_outside_chunks = 0, issue347_chunks = 0;
  int64_t duplicated_chunks = 0, out_of_order_chunks = 0, out_of_order_series = 0;
  std::string Issues() const;  // Thanos's messages, joined by ", "
  bool Repairable() const;
};
// Reads every series of the index at `path` for a block spanning [mint, maxt]. Hard errors
// (unsorted series, series without labels or chunks, unreadable index) are errors.
Result<IndexHealth> GatherIndexHealth(const std::string& path, int64_t mint, int64_t maxt);

}  // namespace strata::tools
