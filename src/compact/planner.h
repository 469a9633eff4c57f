// Which blocks of one compaction group to compact next, as Thanos's (and Prometheus's) leveled
// planner decides: overlapping blocks first (merged vertically instead of halting), otherwise
// the first run of blocks that fills one of the level ranges (2h → 8h → 2d → 14d by default),
// or lies entirely before the newest block. The newest block is left out so a block still being
// shipped or backfilled does not get compacted early.
#pragma once

#include <cstdint>
#include <vector>

#include "tsdb/meta.h"

namespace strata::compact {

// Thanos's default --compact ranges: 2h, 8h, 2d, 14d (ms).
std::vector<int64_t> DefaultRanges();

// metas: the group's blocks (any order). Returns indices into metas of the blocks to compact
// together, in min-time order, or nothing.
std::vector<size_t> Plan(const std::vector<tsdb::BlockMeta>& metas,
                         const std::vector<int64_t>& ranges);

}  // namespace strata::compact
