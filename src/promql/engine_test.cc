#include "promql/engine.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/memory.h"

namespace strata::promql {
namespace {

storage::MemoryStore ManySeries(int series, int samples) {
  storage::MemoryStore store;
  for (int s = 0; s < series; s++) {
    Labels l{{"__name__", "m"}, {"i", std::to_string(s)}};
    for (int t = 0; t < samples; t++) store.Add(l, t * 15000, t);
  }
  return store;
}

TEST(EngineTest, MaxSamplesIsAnErrorNotAnOutOfMemory) {
  auto store = ManySeries(100, 100);
  EngineOptions opts;
  opts.max_samples = 1000;
  Engine engine(opts);
  auto r = engine.RangeQuery(store, "m", 0, 1500000, 15000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "query processing would load too many samples into memory in query execution");
  EXPECT_TRUE(engine.InstantQuery(store, "sum(m)", 100000).ok());
}

TEST(EngineTest, CancellationStopsTheQuery) {
  auto store = ManySeries(50, 2000);
  Engine engine;
  CancelFlag cancel{true};
  auto r = engine.RangeQuery(store, "sum(rate(m[5m]))", 0, 30000000, 15000, &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(EngineTest, TimeoutStopsTheQuery) {
  auto store = ManySeries(200, 2000);
  EngineOptions opts;
  opts.timeout = std::chrono::milliseconds(0);
  Engine engine(opts);
  auto r = engine.RangeQuery(store, "sum(rate(m[5m])) + sum(rate(m[10m]))", 0, 30000000, 15000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(EngineTest, RangeQueryValidation) {
  storage::MemoryStore store;
  Engine engine;
  EXPECT_EQ(engine.RangeQuery(store, "1", 0, 10, 0).status().message(),
            "zero or negative query resolution step widths are not accepted");
  EXPECT_EQ(
      engine.RangeQuery(store, "m[5m]", 0, 10, 1).status().message(),
      "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
  EXPECT_EQ(engine.InstantQuery(store, "sum(", 0).status().message(),
            "1:5: parse error: unclosed left parenthesis");
}

TEST(EngineTest, InstantRangeVectorReturnsRawSamples) {
  auto store = ManySeries(1, 10);
  Engine engine;
  auto r = engine.InstantQuery(store, "m[1m]", 60000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->type, ValueType::kMatrix);
  ASSERT_EQ(r->matrix.size(), 1u);
  EXPECT_EQ(r->matrix[0].points.size(), 5u);  // 0s, 15s, 30s, 45s, 60s: both ends inclusive
}

TEST(EngineTest, ConcurrentQueriesShareAnEngine) {
  auto store = ManySeries(20, 500);
  Engine engine;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; i++) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; k++) {
        auto r = engine.RangeQuery(store, "sum by (i) (rate(m[5m]))", 0, 7000000, 60000);
        ok += r.ok() && r->matrix.size() == 20;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace strata::promql

namespace strata::promql {
namespace {

TEST(EngineTest, HugeSubqueryIsRefusedBeforeAllocating) {
  auto store = ManySeries(1, 10);
  Engine engine;
  auto r = engine.InstantQuery(store, "max_over_time(m[100000d:1ms])", 60000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  r = engine.RangeQuery(store, "m", 0, int64_t{1} << 50, 1);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace strata::promql
