// Deterministic sample data shaped like real scrapes, shared by the benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace strata::bench {

// kRegularCounter: a counter scraped at exactly 15s (no timestamp jitter).
enum class Shape { kCounter, kGauge, kConstant, kRegularCounter };

// n samples, 15s apart with +-5ms jitter; counters grow by small integers, gauges wander.
inline void MakeSamples(Shape shape, size_t n, uint64_t seed, std::vector<int64_t>* ts,
                        std::vector<double>* vs) {
  std::mt19937_64 rng(seed);
  ts->resize(n);
  vs->resize(n);
  int64_t t = 1700000000000;
  double v = 1000;
  for (size_t i = 0; i < n; i++) {
    t += 15000 + (shape == Shape::kRegularCounter ? 0 : static_cast<int64_t>(rng() % 11) - 5);
    switch (shape) {
      case Shape::kCounter:
      case Shape::kRegularCounter:
        v += static_cast<double>(rng() % 20);
        break;
      case Shape::kGauge:
        v = static_cast<double>(rng() % 100000) / 100.0;
        break;
      case Shape::kConstant:
        break;
    }
    (*ts)[i] = t;
    (*vs)[i] = v;
  }
}

}  // namespace strata::bench
