#include "base/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace strata {
namespace {

TEST(ExecutorTest, RunsEveryIndexOnceWithinTheParallelismBound) {
  Executor ex(8);
  std::vector<std::atomic<int>> seen(200);
  std::atomic<int> now{0}, peak{0};
  ex.ParallelFor(seen.size(), 3, [&](size_t i) {
    const int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    seen[i]++;
    now--;
  });
  for (const auto& s : seen) EXPECT_EQ(s.load(), 1);
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);  // it did run in parallel
}

// Loops nested deeper than the pool is wide still finish: callers work on their own loops.
TEST(ExecutorTest, NestedLoopsOnABusyPoolDoNotDeadlock) {
  Executor ex(2);
  std::atomic<int> total{0};
  ex.ParallelFor(4, 4, [&](size_t) {
    ex.ParallelFor(4, 4, [&](size_t) { ex.ParallelFor(3, 3, [&](size_t) { total++; }); });
  });
  EXPECT_EQ(total.load(), 4 * 4 * 3);
}

TEST(ExecutorTest, EmptyAndSerialLoops) {
  Executor ex(1);
  int calls = 0;
  ex.ParallelFor(0, 4, [&](size_t) { calls++; });
  EXPECT_EQ(calls, 0);
  ex.ParallelFor(5, 1, [&](size_t) { calls++; });  // the caller alone, no races on calls
  EXPECT_EQ(calls, 5);
}

}  // namespace
}  // namespace strata
