// The planner against the cases of Thanos v0.34's pkg/compact/planner_test.go (ranges 20, 60,
// 180, 540, 1620, as there): the same inputs must give the same plans.
#include "compact/planner.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace strata::compact {
namespace {

struct B {
  int id;
  int64_t mint, maxt;
  uint64_t series = 0, tombstones = 0;
};

struct Case {
  std::string name;
  std::vector<B> blocks;
  std::vector<int> expected;  // ids, in plan order
  std::set<int> no_compact = {};
  int failed = 0;  // id of a block whose compaction failed
};

const std::vector<int64_t> kRanges = {20, 60, 180, 540, 1620};

std::vector<int> PlanIds(const Case& c) {
  std::map<int, Ulid> ulids;
  std::vector<tsdb::BlockMeta> metas;
  std::set<Ulid> no_compact;
  for (const B& b : c.blocks) {
    tsdb::BlockMeta m;
    m.ulid = ulids[b.id] = Ulid::New(b.id);
    m.min_time = b.mint;
    m.max_time = b.maxt;
    m.stats.num_series = b.series;
    m.stats.num_tombstones = b.tombstones;
    m.compaction.failed = b.id == c.failed;
    if (c.no_compact.contains(b.id)) no_compact.insert(m.ulid);
    metas.push_back(m);
  }
  std::vector<int> ids;
  for (size_t i : Plan(metas, kRanges, no_compact)) ids.push_back(c.blocks[i].id);
  return ids;
}

void ExpectPlans(const std::vector<Case>& cases) {
  for (const Case& c : cases) EXPECT_EQ(PlanIds(c), c.expected) << c.name;
}

TEST(PlannerTest, ThanosCompatibilityCases) {
  ExpectPlans({
      {"outside range", {{1, 0, 20}}, {}},
      {"wait for four blocks of size 20", {{1, 0, 20}, {2, 20, 40}}, {}},
      {"three, but the fresh one is ignored", {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}}, {}},
      {"block to fill the parent range appeared",
       {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}, {4, 60, 80}},
       {1, 2, 3}},
      {"blocks fill the 2nd parent range",
       {{6, 0, 60}, {7, 60, 120}, {8, 120, 180}, {9, 180, 200}, {10, 200, 220}},
       {6, 7, 8}},
      {"next range appeared after a gap; the fresh one is still ignored",
       {{1, 0, 20}, {2, 20, 40}, {4, 60, 80}},
       {}},
      {"gap between second and third block: compact the two",
       {{1, 0, 20}, {2, 20, 40}, {4, 60, 80}, {5, 80, 100}},
       {1, 2}},
      {"20, 20, 20, 60, 60 with the fresh one last",
       {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}, {4, 60, 120}, {5, 120, 180}},
       {1, 2, 3}},
      {"2nd parent range with a gap",
       {{6, 0, 60}, {8, 120, 180}, {9, 180, 200}, {10, 200, 220}},
       {6, 8}},
      {"20, 60, 20, 60, 240: compact 20 + 60 + 60",
       {{2, 20, 40}, {4, 60, 120}, {5, 960, 980}, {6, 120, 180}, {7, 720, 960}},
       {2, 4, 6}},
      {"large block with tombstones but no fresh block", {{1, 0, 540, 10, 3}}, {}},
      {"large block with tombstones once a fresh one appears",
       {{1, 0, 540, 10, 3}, {2, 540, 560}},
       {1}},
      {"small block with tombstones", {{1, 0, 60, 10, 3}, {2, 60, 80}}, {}},
      {"no endless recompaction of an empty block", {{1, 0, 540}, {2, 540, 560}}, {}},
      {"the fresh block is the one with the newest min time, not ULID",
       {{5, 0, 360}, {6, 540, 560}, {7, 360, 420}, {8, 420, 540}},
       {7, 8}},
      {"overlapping 1", {{1, 0, 20}, {2, 19, 40}, {3, 40, 60}}, {1, 2}},
      {"overlapping 2", {{1, 0, 20}, {2, 20, 40}, {3, 30, 50}}, {2, 3}},
      {"overlapping 3", {{1, 0, 20}, {2, 10, 40}, {3, 30, 50}}, {1, 2, 3}},
      {"overlapping 4", {{5, 0, 360}, {6, 340, 560}, {7, 360, 420}, {8, 420, 540}}, {5, 6, 7, 8}},
      {"overlapping 5", {{1, 0, 10}, {2, 9, 20}, {3, 30, 40}, {4, 39, 50}}, {1, 2}},
  });
}

TEST(PlannerTest, ThanosRangeWithFailedCompactionIsNotSelected) {
  ExpectPlans({
      {"four 20s", {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}, {4, 60, 80}}, {}, {}, 2},
      {"with a gap", {{1, 0, 20}, {2, 20, 40}, {4, 60, 80}, {5, 80, 100}}, {}, {}, 2},
      {"20, 20, 20, 60, 60, 20",
       {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}, {4, 60, 120}, {5, 120, 180}, {6, 180, 200}},
       {},
       {},
       2},
  });
}

TEST(PlannerTest, ThanosNoCompactMarks) {
  const std::vector<B> four = {{1, 0, 20}, {2, 20, 40}, {3, 40, 60}, {4, 60, 80}};
  const std::vector<B> mixed = {
      {2, 20, 40}, {4, 60, 120}, {5, 960, 980}, {6, 120, 180}, {7, 720, 960}};
  ExpectPlans({
      {"outside range and excluded", {{1, 0, 20}}, {}, {1}},
      {"first one excluded", four, {2, 3}, {1}},
      {"second one excluded", four, {}, {2}},
      {"last one excluded", four, {1, 2, 3}, {4}},
      {"first and last excluded", four, {2, 3}, {1, 4}},
      {"all excluded", four, {}, {1, 2, 3, 4}},
      {"gap between second and third, second excluded",
       {{1, 0, 20}, {2, 20, 40}, {4, 60, 80}, {5, 80, 100}},
       {},
       {2}},
      {"20, 60, 20, 60, 240 with the 6th excluded", mixed, {2, 4}, {6}},
      {"20, 60, 20, 60, 240 with the 4th excluded", mixed, {}, {4}},
      {"large block with tombstones, excluded", {{1, 0, 540, 10, 3}, {2, 540, 560}}, {}, {1}},
      {"overlapping 1, one excluded", {{1, 0, 20}, {2, 19, 40}, {3, 40, 60}}, {}, {1}},
  });
}

// The defect that made the demo rewrite its newest 8h window every few minutes: the bound for
// "entirely before the newest block" is taken after leaving the newest block out.
TEST(PlannerTest, WindowWithGapsWaitsForTheBlockAfterTheNewest) {
  constexpr int64_t h = 3600 * 1000;
  std::vector<tsdb::BlockMeta> m(3);
  const int64_t times[][2] = {{0, 2 * h}, {4 * h, 6 * h}, {8 * h, 10 * h}};
  for (size_t i = 0; i < m.size(); i++) {
    m[i].ulid = Ulid::New(static_cast<int64_t>(i) + 1);
    m[i].min_time = times[i][0];
    m[i].max_time = times[i][1];
  }
  EXPECT_TRUE(Plan(m, DefaultRanges()).empty());
  tsdb::BlockMeta next;
  next.ulid = Ulid::New(4);
  next.min_time = 10 * h;
  next.max_time = 12 * h;
  m.push_back(next);  // now 8h-10h is no longer the newest: [0, 8h) can go
  EXPECT_EQ(Plan(m, DefaultRanges()), (std::vector<size_t>{0, 1}));
}

// The progress forecast compacts level by level as the compactor would: nine 20s blocks become
// three 60s blocks (3 compactions) and then one 180s block (a 4th); the newest block waits.
TEST(PlannerTest, ForecastSimulatesEveryLevel) {
  std::vector<tsdb::BlockMeta> m;
  for (int64_t t = 0; t <= 180; t += 20) {
    tsdb::BlockMeta b;
    b.ulid = Ulid::New(t + 1);
    b.min_time = t;
    b.max_time = t + 20;
    b.compaction.level = 1;
    m.push_back(b);
  }
  PlanForecast f = ForecastPlans(m, kRanges);
  EXPECT_EQ(f.compactions, 4);
  EXPECT_EQ(f.blocks, 12);
  // Overlapping blocks are one vertical compaction; no-compact blocks are never planned.
  m.resize(2);
  m[1].min_time = 10;
  EXPECT_EQ(ForecastPlans(m, kRanges).compactions, 1);
  EXPECT_EQ(ForecastPlans(m, kRanges, {m[0].ulid}).compactions, 0);
  EXPECT_EQ(ForecastPlans({}, kRanges).compactions, 0);
}

}  // namespace
}  // namespace strata::compact
