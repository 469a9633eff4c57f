// Which blocks of one compaction group to compact next, planned exactly as Thanos v0.34's
// tsdbBasedPlanner (pkg/compact/planner.go, itself Prometheus's leveled planner) does:
//  1. the first run of overlapping blocks (no-compact blocks left out), merged vertically;
//  2. otherwise, with the newest block left out, the first aligned window of the level ranges
//     (2h → 8h → 2d → 14d by default) whose blocks span the whole window or all start before the
//     (then) newest block; no-compact blocks split a window without moving its bounds, and a
//     window holding a block whose compaction failed is never picked;
//  3. otherwise one large block (at least the middle range) with more than 5% tombstones.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "base/ulid.h"
#include "tsdb/meta.h"

namespace strata::compact {

// Thanos's default --compact ranges: 2h, 8h, 2d, 14d (ms).
std::vector<int64_t> DefaultRanges();

// metas: the group's blocks in any order, including those marked no-compact (listed in
// no_compact), which shape the plan but are never in it. Returns indices into metas of the
// blocks to compact together, in min-time order, or nothing.
std::vector<size_t> Plan(const std::vector<tsdb::BlockMeta>& metas,
                         const std::vector<int64_t>& ranges, const std::set<Ulid>& no_compact = {});

// What compacting a group until nothing is left to plan would take: each plan's blocks are
// replaced by one block spanning them, one level up, as Thanos's progress calculator simulates.
struct PlanForecast {
  int64_t compactions = 0;
  int64_t blocks = 0;  // source blocks over all those compactions
};
PlanForecast ForecastPlans(std::vector<tsdb::BlockMeta> metas, const std::vector<int64_t>& ranges,
                           const std::set<Ulid>& no_compact = {});

}  // namespace strata::compact
