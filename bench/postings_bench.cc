// Postings set operations on lists shaped like a big index: a large list (e.g. job="api")
// against smaller or equal ones (instance=~..., __name__=...).
#include <benchmark/benchmark.h>

#include <random>
#include <set>

#include "tsdb/postings.h"

namespace strata::bench {
namespace {

tsdb::Postings RandomPostings(size_t n, uint32_t max, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::set<uint32_t> s;
  while (s.size() < n) s.insert(rng() % max);
  return {s.begin(), s.end()};
}

void BM_PostingsIntersect(benchmark::State& state) {
  auto a = RandomPostings(static_cast<size_t>(state.range(0)), 4'000'000, 1);
  auto b = RandomPostings(static_cast<size_t>(state.range(1)), 4'000'000, 2);
  for (auto _ : state) {
    auto r = tsdb::Intersect(a, b);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * (state.range(0) + state.range(1)));
}

void BM_PostingsMerge(benchmark::State& state) {
  std::vector<tsdb::Postings> lists;
  for (int i = 0; i < state.range(0); i++) lists.push_back(RandomPostings(10000, 4'000'000, i));
  for (auto _ : state) {
    auto r = tsdb::Merge(lists);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 10000);
}

BENCHMARK(BM_PostingsIntersect)->Args({1'000'000, 1'000'000})->Args({1'000'000, 1000});
BENCHMARK(BM_PostingsMerge)->Arg(2)->Arg(16);

}  // namespace
}  // namespace strata::bench
