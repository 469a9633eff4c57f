// xrate, xincrease and xdelta against the expectations of Thanos's PromQL engine's own tests
// (thanos-io/promql-engine at 41b2cf818e81, the version Thanos v0.34 pins: engine_test.go,
// TestXFunctions and TestRateVsXRate): the same data, times and expected values.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "promql/engine.h"
#include "storage/memory.h"

namespace strata::promql {
namespace {

const double kStale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});

// Appends values[i] at i * step_ms.
void Load(storage::MemoryStore& s, const Labels& l, int64_t step_ms,
          const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); i++) s.Add(l, static_cast<int64_t>(i) * step_ms, values[i]);
}

std::vector<double> Ramp(double from, double by, int times) {
  std::vector<double> v;
  for (int i = 0; i <= times; i++) v.push_back(from + by * i);
  return v;
}

Labels Path(const std::string& p) { return {{"__name__", "http_requests"}, {"path", p}}; }

Engine XEngine() {
  EngineOptions o;
  o.parse.enable_x_functions = true;
  return Engine(o);
}

// path label value -> result, for an instant query at `at_s` seconds.
std::map<std::string, double> Instant(storage::MemoryStore& s, const std::string& q,
                                      int64_t at_ms) {
  auto r = XEngine().InstantQuery(s, q, at_ms);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  std::map<std::string, double> out;
  if (!r.ok()) return out;
  for (const auto& v : r->vector) {
    EXPECT_EQ(v.labels.Get("__name__"), "") << q;
    out[std::string(v.labels.Get("path"))] = v.v;
  }
  return out;
}

void ExpectValues(storage::MemoryStore& s, const std::string& q, int64_t at_ms,
                  std::map<std::string, double> want) {
  auto got = Instant(s, q, at_ms);
  ASSERT_EQ(got.size(), want.size()) << q << " at " << at_ms;
  for (const auto& [path, v] : want) {
    ASSERT_TRUE(got.count(path)) << q << " at " << at_ms << ": no " << path;
    EXPECT_NEAR(got[path], v, 1e-9) << q << " at " << at_ms << " " << path;
  }
}

storage::MemoryStore DefaultLoad() {  // load 5s: /foo 0+10x10, /bar 0+10x5 0+10x4
  storage::MemoryStore s;
  Load(s, Path("/foo"), 5000, Ramp(0, 10, 10));
  auto bar = Ramp(0, 10, 5);
  for (double v : Ramp(0, 10, 4)) bar.push_back(v);
  Load(s, Path("/bar"), 5000, bar);
  return s;
}

TEST(XFunctionsTest, XIncreaseAndXRateAsThanos) {
  auto s = DefaultLoad();
  ExpectValues(s, "xincrease(http_requests[50s])", 50000, {{"/foo", 100}, {"/bar", 90}});
  ExpectValues(s, "xincrease(http_requests[5s])", 50000, {{"/foo", 20}, {"/bar", 20}});
  ExpectValues(s, "xincrease(http_requests[3s])", 50000, {{"/foo", 10}, {"/bar", 10}});
  ExpectValues(s, "xincrease(http_requests[5s])", 17000, {{"/foo", 10}, {"/bar", 10}});
  ExpectValues(s, "xincrease(http_requests[10s])", 17000, {{"/foo", 20}, {"/bar", 20}});
  ExpectValues(s, "xrate(http_requests[50s])", 50000, {{"/foo", 2}, {"/bar", 1.8}});
  ExpectValues(s, "xrate(http_requests[100s])", 50000, {{"/foo", 1}, {"/bar", 0.9}});
  ExpectValues(s, "xrate(http_requests[5s])", 50000, {{"/foo", 2}, {"/bar", 2}});
  ExpectValues(s, "xrate(http_requests[3s])", 50000, {{"/foo", 2}, {"/bar", 2}});
}

TEST(XFunctionsTest, XIncreaseOfANewSeriesCountsFromZero) {
  storage::MemoryStore s;  // load 5m: stale stale stale 5
  Load(s, Path("/foo"), 300000, {kStale, kStale, kStale, 5});
  ExpectValues(s, "xincrease(http_requests[1h15m])", 4500000, {{"/foo", 5}});

  storage::MemoryStore flat;  // load 30s: 0 0 0 0 1 1 1 1
  Load(flat, {{"__name__", "http_requests"}}, 30000, {0, 0, 0, 0, 1, 1, 1, 1});
  ExpectValues(flat, "xincrease(http_requests[2m])", 240000, {{"", 1}});
}

TEST(XFunctionsTest, CounterResetsAndXDelta) {
  storage::MemoryStore s;  // load 5m: 0 1 2 3 2 3 4
  Load(s, Path("/foo"), 300000, {0, 1, 2, 3, 2, 3, 4});
  ExpectValues(s, "xincrease(http_requests[30m])", 1800000, {{"/foo", 7}});

  storage::MemoryStore d;  // load 5m
  Load(d, Path("/foo"), 300000, {0, 50, 300, 150, 200});
  Load(d, Path("/bar"), 300000, {200, 150, 300, 50, 0});
  ExpectValues(d, "xdelta(http_requests[20m])", 1200000, {{"/foo", 200}, {"/bar", -200}});
  ExpectValues(d, "xdelta(http_requests[19m])", 1200000, {{"/foo", 190}, {"/bar", -190}});
  ExpectValues(d, "xdelta(http_requests[1m])", 1200000, {{"/foo", 10}, {"/bar", -10}});
}

storage::MemoryStore RateVsXRateLoad() {  // load 5s
  storage::MemoryStore s;
  Load(s, Path("/foo"), 5000, {1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3});
  Load(s, Path("/bar"), 5000, Ramp(1, 1, 10));
  return s;
}

TEST(XFunctionsTest, RateVsXRate) {
  auto s = RateVsXRateLoad();
  const std::string q50 = "xrate(http_requests[50s])";
  ExpectValues(s, q50, 25000, {{"/foo", 0.02}, {"/bar", 0.1}});
  ExpectValues(s, q50, 24000, {{"/foo", 0.02}, {"/bar", 0.08}});
  ExpectValues(s, q50, 26000, {{"/foo", 0.02}, {"/bar", 0.1}});
  ExpectValues(s, q50, 75000, {{"/foo", 0.02}, {"/bar", 0.12}});
  ExpectValues(s, q50, 74000, {{"/foo", 0.02}, {"/bar", 0.12}});
  ExpectValues(s, q50, 76000, {{"/foo", 0.02}, {"/bar", 0.1}});
  const std::string q10 = "xrate(http_requests[10s])";
  ExpectValues(s, q10, 9000, {{"/foo", 0}, {"/bar", 0.1}});
  ExpectValues(s, q10, 19000, {{"/foo", 0.1}, {"/bar", 0.2}});
  ExpectValues(s, q10, 29000, {{"/foo", 0}, {"/bar", 0.2}});
  ExpectValues(s, q10, 39000, {{"/foo", 0}, {"/bar", 0.2}});
  ExpectValues(s, q10, 49000, {{"/foo", 0.1}, {"/bar", 0.2}});
  ExpectValues(s, "xincrease(http_requests[5s])", 1000, {{"/foo", 1}, {"/bar", 1}});
  ExpectValues(s, "xincrease(http_requests[10s])", 55000, {{"/foo", 0}, {"/bar", 2}});
}

TEST(XFunctionsTest, RangeQueryStepsAgreeWithInstantQueries) {
  // Steps of 5s over a 10s range reuse the previous step's samples; every 10s step must still
  // give the instant answers above.
  auto s = RateVsXRateLoad();
  auto r = XEngine().RangeQuery(s, "xrate(http_requests[10s])", 9000, 49000, 5000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->matrix.size(), 2u);
  const std::map<int64_t, std::pair<double, double>> want = {
      {9000, {0.1, 0}},
      {19000, {0.2, 0.1}},
      {29000, {0.2, 0}},
      {39000, {0.2, 0}},
      {49000, {0.2, 0.1}}};  // (/bar, /foo), the matrix's label order
  for (size_t i = 0; i < 2; i++) {
    int matched = 0;
    for (const auto& p : r->matrix[i].points) {
      auto w = want.find(p.t);
      if (w == want.end()) continue;
      EXPECT_NEAR(p.v, i == 0 ? w->second.first : w->second.second, 1e-9) << p.t;
      matched++;
    }
    EXPECT_EQ(matched, 5) << r->matrix[i].labels.String();
    EXPECT_EQ(r->matrix[i].points.size(), 9u);
  }
}

TEST(XFunctionsTest, OnlyWhenEnabledAndOnlyOverRangeSelectors) {
  auto s = DefaultLoad();
  auto off = Engine().InstantQuery(s, "xrate(http_requests[5m])", 50000);
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.status().message(), "1:1: parse error: unknown function with name \"xrate\"");
  auto sub = XEngine().InstantQuery(s, "xrate(http_requests[5m:1m])", 50000);
  ASSERT_FALSE(sub.ok());
  EXPECT_NE(sub.status().message().find("over a subquery it is not supported"), std::string::npos)
      << sub.status().message();
  EXPECT_TRUE(XEngine().InstantQuery(s, "sum(xrate(http_requests[1m] offset 10s))", 50000).ok());
}

}  // namespace
}  // namespace strata::promql
