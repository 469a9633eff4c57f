#include "tsdb/postings.h"

#include <algorithm>

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
  // Pairwise rounds of linear two-way unions: log2(k) passes over contiguous memory beat a heap.
  std::vector<Postings> round;
  round.reserve((lists.size() + 1) / 2);
  auto union2 = [](const Postings& a, const Postings& b) {
    Postings out;
    out.reserve(a.size() + b.size());
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  };
  for (size_t i = 0; i < lists.size(); i += 2) {
    round.push_back(i + 1 < lists.size() ? union2(lists[i], lists[i + 1]) : lists[i]);
  }
  while (round.size() > 1) {
    std::vector<Postings> next;
    next.reserve((round.size() + 1) / 2);
    for (size_t i = 0; i < round.size(); i += 2) {
      next.push_back(i + 1 < round.size() ? union2(round[i], round[i + 1]) : std::move(round[i]));
    }
    round = std::move(next);
  }
  return std::move(round[0]);
}

Postings Without(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace strata::tsdb
