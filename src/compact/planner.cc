#include "compact/planner.h"

#include <algorithm>
#include <numeric>

namespace strata::compact {
namespace {

// floor(t / r) * r, also for negative t.
int64_t AlignDown(int64_t t, int64_t r) {
  int64_t q = t / r;
  if (t % r != 0 && t < 0) q--;
  return q * r;
}

// The blocks overlapping each other, in min-time order: the first maximal overlapping run.
std::vector<size_t> Overlapping(const std::vector<tsdb::BlockMeta>& m,
                                const std::vector<size_t>& order) {
  std::vector<size_t> run;
  int64_t run_max = 0;
  for (size_t idx : order) {
    if (!run.empty() && m[idx].min_time < run_max) {
      run.push_back(idx);
      run_max = std::max(run_max, m[idx].max_time);
      continue;
    }
    if (run.size() > 1) return run;
    run = {idx};
    run_max = m[idx].max_time;
  }
  return run.size() > 1 ? run : std::vector<size_t>{};
}

}  // namespace

std::vector<int64_t> DefaultRanges() {
  constexpr int64_t h = 3600 * 1000;
  return {2 * h, 8 * h, 48 * h, 14 * 24 * h};
}

std::vector<size_t> Plan(const std::vector<tsdb::BlockMeta>& metas,
                         const std::vector<int64_t>& ranges) {
  std::vector<size_t> order(metas.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return metas[a].min_time < metas[b].min_time ||
           (metas[a].min_time == metas[b].min_time && metas[a].ulid < metas[b].ulid);
  });
  if (auto overlap = Overlapping(metas, order); !overlap.empty()) return overlap;
  if (order.size() < 2 || ranges.size() < 2) return {};
  // Leave the newest block out: it may still grow a neighbour within its range.
  const int64_t high = metas[order.back()].min_time;
  order.pop_back();
  for (size_t r = 1; r < ranges.size(); r++) {
    const int64_t range = ranges[r];
    // Split into aligned windows of this range; blocks larger than a window are skipped.
    std::vector<size_t> part;
    int64_t window = 0;
    auto pick = [&]() -> bool {
      if (part.size() < 2) return false;
      const int64_t mint = metas[part.front()].min_time, maxt = metas[part.back()].max_time;
      return maxt - mint == range || maxt <= high;
    };
    for (size_t idx : order) {
      const tsdb::BlockMeta& m = metas[idx];
      const int64_t start = AlignDown(m.min_time, range);
      if (m.max_time > start + range) continue;  // does not fit any window of this range
      if (!part.empty() && start != window) {
        if (pick()) return part;
        part.clear();
      }
      window = start;
      part.push_back(idx);
    }
    if (pick()) return part;
  }
  return {};
}

}  // namespace strata::compact
