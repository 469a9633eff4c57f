// Compaction of local blocks into one: series merged by streaming over the sources' indexes in
// label order, so memory is bounded by the largest series (plus the index's postings), not by
// the blocks. Chunks of time-disjoint sources are copied byte for byte; where chunks of one series
// overlap (vertical compaction) or tombstones cut them, its samples are merged (one sample per
// timestamp, the first source's value kept), deletions applied, and re-encoded in chunks of at
// most 120 samples, as Prometheus's compactor does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "tsdb/meta.h"

namespace strata::compact {

// How overlapping samples of different HA replicas are merged.
struct DedupOptions {
  // External labels (meta.json thanos.labels) that tell replicas apart.
  std::vector<std::string> replica_labels;
  // Thanos's --deduplication.func=penalty: one replica at a time, switching only after a gap
  // (as the querier deduplicates). Otherwise every timestamp of every replica is kept once.
  bool penalty = false;
};

// Writes the compacted block into out_parent/<new ULID> and returns its meta: level = highest
// source level + 1, sources = union of the sources' sources, parents = the sources, `thanos`
// as given (its segment_files filled in). A source that cannot be read fails the whole call
// with a Corruption error naming it.
Result<tsdb::BlockMeta> CompactBlocks(const std::vector<std::string>& block_dirs,
                                      const std::string& out_parent,
                                      std::optional<tsdb::ThanosMeta> thanos,
                                      const DedupOptions& dedup = {});

}  // namespace strata::compact
