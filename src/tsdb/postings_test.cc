#include "tsdb/postings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace strata::tsdb {
namespace {

Postings RandomList(std::mt19937& rng, size_t n, uint32_t max) {
  std::set<uint32_t> s;
  while (s.size() < n) s.insert(rng() % max);
  return {s.begin(), s.end()};
}

TEST(PostingsTest, OperationsAgreeWithStdSets) {
  std::mt19937 rng(7);
  for (auto [na, nb] : {std::pair{10, 10}, {5, 5000}, {3000, 40}, {0, 10}, {100, 100}}) {
    Postings a = RandomList(rng, na, 20000), b = RandomList(rng, nb, 20000);
    Postings want_and, want_or, want_minus;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(want_and));
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(want_or));
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(want_minus));
    EXPECT_EQ(Intersect(a, b), want_and);
    EXPECT_EQ(Intersect(b, a), want_and);
    EXPECT_EQ(Merge({a, b}), want_or);
    EXPECT_EQ(Without(a, b), want_minus);
  }
}

TEST(PostingsTest, MultiWay) {
  Postings a{1, 2, 3, 4, 5}, b{2, 4, 6}, c{4, 2, 9};
  std::sort(c.begin(), c.end());
  EXPECT_EQ(IntersectAll({a, b, c}), (Postings{2, 4}));
  EXPECT_EQ(Merge({a, b, c}), (Postings{1, 2, 3, 4, 5, 6, 9}));
  EXPECT_TRUE(IntersectAll({}).empty());
  EXPECT_TRUE(Merge({}).empty());
}

}  // namespace
}  // namespace strata::tsdb
