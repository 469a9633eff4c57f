// Timestamps are int64 milliseconds since the Unix epoch everywhere in Strata, as in Prometheus.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace strata {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strata
