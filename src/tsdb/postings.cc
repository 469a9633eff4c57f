#include "tsdb/postings.h"

#include <algorithm>
#include <queue>

namespace strata::tsdb {
namespace {

// Intersects small against large by galloping (exponential then binary search) in large.
Postings Gallop(const Postings& small, const Postings& large) {
  Postings out;
  out.reserve(small.size());
  auto it = large.begin();
  for (uint32_t v : small) {
    size_t step = 1;
    auto hi = it;
    while (hi != large.end() && *hi < v) {
      it = hi;
      size_t left = static_cast<size_t>(large.end() - hi);
      hi += static_cast<std::ptrdiff_t>(std::min(step, left));
      step *= 2;
    }
    it = std::lower_bound(it, hi, v);
    if (it == large.end()) break;
    if (*it == v) out.push_back(v);
  }
  return out;
}

}  // namespace

Postings Intersect(const Postings& a, const Postings& b) {
  const Postings& small = a.size() <= b.size() ? a : b;
  const Postings& large = a.size() <= b.size() ? b : a;
  if (small.empty()) return {};
  if (large.size() / small.size() >= 32) return Gallop(small, large);
  Postings out;
  out.reserve(small.size());
  std::set_intersection(small.begin(), small.end(), large.begin(), large.end(),
                        std::back_inserter(out));
  return out;
}

Postings IntersectAll(std::vector<Postings> lists) {
  if (lists.empty()) return {};
  std::sort(lists.begin(), lists.end(),
            [](const Postings& x, const Postings& y) { return x.size() < y.size(); });
  Postings acc = std::move(lists[0]);
  for (size_t i = 1; i < lists.size() && !acc.empty(); i++) acc = Intersect(acc, lists[i]);
  return acc;
}

Postings Merge(const std::vector<Postings>& lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return lists[0];
  if (lists.size() == 2) {
    Postings out;
    out.reserve(lists[0].size() + lists[1].size());
    std::set_union(lists[0].begin(), lists[0].end(), lists[1].begin(), lists[1].end(),
                   std::back_inserter(out));
    return out;
  }
  // k-way merge with a min-heap of (value, list index).
  using Item = std::pair<uint32_t, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
  std::vector<size_t> pos(lists.size(), 0);
  size_t total = 0;
  for (size_t i = 0; i < lists.size(); i++) {
    total += lists[i].size();
    if (!lists[i].empty()) heap.emplace(lists[i][0], i);
  }
  Postings out;
  out.reserve(total);
  while (!heap.empty()) {
    auto [v, i] = heap.top();
    heap.pop();
    if (out.empty() || out.back() != v) out.push_back(v);
    if (++pos[i] < lists[i].size()) heap.emplace(lists[i][pos[i]], i);
  }
  return out;
}

Postings Without(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace strata::tsdb
