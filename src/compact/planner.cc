#include "compact/planner.h"

#include <algorithm>
#include <numeric>

namespace strata::compact {
namespace {

using Order = std::vector<size_t>;  // indices into the metas, by min time

// The aligned window of size range that holds t: floor(t / range) * range, also for negative t.
int64_t WindowStart(int64_t t, int64_t range) {
  return t >= 0 ? range * (t / range) : range * ((t - range + 1) / range);
}

// The first run of blocks that overlap one another.
Order Overlapping(const std::vector<tsdb::BlockMeta>& m, const Order& order) {
  Order run;
  if (order.size() < 2) return run;
  int64_t max_time = m[order[0]].max_time;
  for (size_t i = 1; i < order.size(); i++) {
    const tsdb::BlockMeta& b = m[order[i]];
    if (b.min_time < max_time) {
      if (run.empty()) run.push_back(order[i - 1]);
      run.push_back(order[i]);
    } else if (!run.empty()) {
      break;
    }
    max_time = std::max(max_time, b.max_time);
  }
  return run;
}

// Consecutive blocks that fit the aligned window of the first of them; blocks larger than
// their window are skipped.
std::vector<Order> SplitByRange(const std::vector<tsdb::BlockMeta>& m, const Order& order,
                                int64_t range) {
  std::vector<Order> parts;
  for (size_t i = 0; i < order.size();) {
    const int64_t end = WindowStart(m[order[i]].min_time, range) + range;
    if (m[order[i]].max_time > end) {
      i++;
      continue;
    }
    Order part;
    for (; i < order.size() && m[order[i]].max_time <= end; i++) part.push_back(order[i]);
    parts.push_back(std::move(part));
  }
  return parts;
}

Order SelectByRanges(const std::vector<tsdb::BlockMeta>& m, const Order& order,
                     const std::vector<int64_t>& ranges, const std::set<Ulid>& no_compact) {
  if (ranges.size() < 2 || order.empty()) return {};
  const int64_t high = m[order.back()].min_time;
  for (size_t r = 1; r < ranges.size(); r++) {
    for (const Order& part : SplitByRange(m, order, ranges[r])) {
      if (part.size() < 2) continue;
      if (std::any_of(part.begin(), part.end(), [&](size_t i) { return m[i].compaction.failed; }))
        continue;
      const int64_t mint = m[part.front()].min_time, maxt = m[part.back()].max_time;
      // The whole window (gaps allowed), or all of it before the newest block: nothing
      // that is still to come can land in it.
      if (maxt - mint != ranges[r] && maxt > high) continue;
      // No-compact blocks cut the window into pieces; the first piece of two or more wins.
      size_t from = 0;
      for (size_t i = 0; i <= part.size(); i++) {
        if (i < part.size() && !no_compact.contains(m[part[i]].ulid)) continue;
        if (i - from > 1)
          return Order(part.begin() + static_cast<std::ptrdiff_t>(from),
                       part.begin() + static_cast<std::ptrdiff_t>(i));
        from = i + 1;
      }
    }
  }
  return {};
}

}  // namespace

std::vector<int64_t> DefaultRanges() {
  constexpr int64_t h = 3600 * 1000;
  return {2 * h, 8 * h, 48 * h, 14 * 24 * h};
}

std::vector<size_t> Plan(const std::vector<tsdb::BlockMeta>& metas,
                         const std::vector<int64_t>& ranges, const std::set<Ulid>& no_compact) {
  if (metas.empty()) return {};
  Order all(metas.size());
  std::iota(all.begin(), all.end(), 0);
  std::stable_sort(all.begin(), all.end(), [&](size_t a, size_t b) {
    return metas[a].min_time < metas[b].min_time ||
           (metas[a].min_time == metas[b].min_time && metas[a].ulid < metas[b].ulid);
  });
  Order compactable;
  for (size_t i : all)
    if (!no_compact.contains(metas[i].ulid)) compactable.push_back(i);
  if (Order overlap = Overlapping(metas, compactable); !overlap.empty()) return overlap;

  // The newest block stays out: it may have just been uploaded, and its neighbours may not.
  if (!no_compact.contains(metas[all.back()].ulid)) compactable.pop_back();
  all.pop_back();
  if (Order picked = SelectByRanges(metas, all, ranges, no_compact); !picked.empty()) return picked;

  // A large block with many deletions is rewritten on its own.
  for (auto it = compactable.rbegin(); it != compactable.rend() && !ranges.empty(); ++it) {
    const tsdb::BlockMeta& b = metas[*it];
    if (b.max_time - b.min_time < ranges[ranges.size() / 2]) break;
    if (static_cast<double>(b.stats.num_tombstones) / static_cast<double>(b.stats.num_series + 1) >
        0.05)
      return {*it};
  }
  return {};
}

PlanForecast ForecastPlans(std::vector<tsdb::BlockMeta> metas, const std::vector<int64_t>& ranges,
                           const std::set<Ulid>& no_compact) {
  PlanForecast f;
  // Each step removes at least one block or (tombstone rewrite) its tombstones: it ends.
  for (std::vector<size_t> plan; !(plan = Plan(metas, ranges, no_compact)).empty();) {
    tsdb::BlockMeta merged = metas[plan.front()];
    merged.ulid = Ulid::New(0);
    merged.stats.num_tombstones = 0;
    for (size_t i : plan) {
      merged.min_time = std::min(merged.min_time, metas[i].min_time);
      merged.max_time = std::max(merged.max_time, metas[i].max_time);
      merged.compaction.level = std::max(merged.compaction.level, metas[i].compaction.level);
    }
    merged.compaction.level++;
    f.compactions++;
    f.blocks += static_cast<int64_t>(plan.size());
    std::vector<bool> used(metas.size(), false);
    for (size_t i : plan) used[i] = true;
    std::vector<tsdb::BlockMeta> rest;
    for (size_t i = 0; i < metas.size(); i++)
      if (!used[i]) rest.push_back(std::move(metas[i]));
    rest.push_back(std::move(merged));
    metas = std::move(rest);
  }
  return f;
}

}  // namespace strata::compact
