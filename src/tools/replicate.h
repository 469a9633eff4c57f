// `tools bucket replicate`: copies Thanos blocks from one bucket to another, as Thanos v0.34:
// only blocks with external labels, chosen by resolution, compaction level, an external-label
// matcher, time range or IDs; chunks and index first, meta.json last (so a reader never sees
// half a block); a block whose meta.json is already identical in the target is skipped, and
// objects already there are not copied again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/matcher.h"
#include "base/metrics.h"
#include "base/status.h"
#include "objstore/bucket.h"

namespace strata::tools {

struct ReplicateOptions {
  std::vector<int64_t> resolutions = {0, 5 * 60 * 1000, 60 * 60 * 1000};
  std::vector<int> compaction_levels = {1, 2, 3, 4};
  Matchers matchers;  // on the blocks' external labels
  // The time range, evaluated at each run (relative --min-time/--max-time move with the clock).
  std::function<Result<std::pair<int64_t, int64_t>>()> time_range;
  // When set, these blocks (still within the time range, with external labels, and not marked
  // for deletion with ignore_marked_for_deletion), whatever the other filters.
  std::vector<std::string> ids;
  bool ignore_marked_for_deletion = false;
  std::string work_dir;  // an existing private directory: objects pass through files here
};

// Thanos's replicate metrics (thanos_replicate_*).
struct ReplicateMetrics {
  explicit ReplicateMetrics(Registry& r);
  Counter& already_replicated;
  Counter& blocks_replicated;
  Counter& objects_replicated;
};

// One replication run; the first block that fails ends it with an error naming the block.
Status ReplicateOnce(objstore::Bucket& from, objstore::Bucket& to, const ReplicateOptions& opts,
                     ReplicateMetrics& metrics);

}  // namespace strata::tools
