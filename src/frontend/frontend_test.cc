#include <gtest/gtest.h>

#include <mutex>

#include "base/executor.h"
#include "base/go_format.h"
#include "base/timestamp.h"
#include "cache/in_memory.h"
#include "frontend/instant.h"
#include "frontend/matrix.h"
#include "frontend/range_request.h"
#include "frontend/results_cache.h"
#include "frontend/shard.h"
#include "promql/parser.h"

namespace strata::frontend {
namespace {

constexpr int64_t kH = 3600 * 1000;

RangeRequest Req(int64_t start, int64_t end, int64_t step, std::string q = "up") {
  RangeRequest r;
  r.query = std::move(q);
  r.start_ms = start;
  r.end_ms = end;
  r.step_ms = step;
  return r;
}

std::vector<std::pair<int64_t, int64_t>> Ranges(const std::vector<RangeRequest>& rs) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& r : rs) out.emplace_back(r.start_ms, r.end_ms);
  return out;
}

// The worked examples of Thanos v0.34's split_by_interval.
TEST(SplitTest, SplitsAtIntervalBoundariesOnTheStepGrid) {
  using V = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(Ranges(SplitByInterval(Req(0, 48 * kH, 15000), 24 * kH)),
            (V{{0, 86385000}, {86400000, 172800000}}));
  EXPECT_EQ(Ranges(SplitByInterval(Req(0, 24 * kH, 15000), 24 * kH)), (V{{0, 86400000}}));
  EXPECT_EQ(Ranges(SplitByInterval(Req(kH, 50 * kH, 420000), 24 * kH)),
            (V{{3600000, 86340000}, {86760000, 172440000}, {172860000, 180000000}}));
  EXPECT_EQ(Ranges(SplitByInterval(Req(84600000, 93600000, kH), 24 * kH)),
            (V{{84600000, 84600000}, {88200000, 93600000}}));
  EXPECT_EQ(Ranges(SplitByInterval(Req(5, 5, 1000), 24 * kH)), (V{{5, 5}}));
  // A range from 1970 at a daily step is not cut into 20,000 requests.
  EXPECT_EQ(SplitByInterval(Req(0, 20000 * 24 * kH, 24 * kH), 24 * kH).size(), 1u);
  EXPECT_EQ(SplitByInterval(Req(0, 1000 * 24 * kH, 24 * kH), 24 * kH).size(), 1000u);
}

// Thanos's dynamic interval: min 1h, max 24h, 4 shards.
TEST(SplitTest, DynamicIntervalFollowsTheRange) {
  SplitPolicy p{.min_ms = kH, .max_ms = 24 * kH, .shards = 4};
  EXPECT_EQ(p.IntervalFor(Req(0, 72 * kH, 60000)), 24 * kH);
  EXPECT_EQ(p.IntervalFor(Req(0, 36 * kH, 60000)), 9 * kH);
  EXPECT_EQ(p.IntervalFor(Req(0, kH / 2, 60000)), kH);
  EXPECT_EQ(SplitPolicy{.interval_ms = 2 * kH}.IntervalFor(Req(0, 72 * kH, 60000)), 2 * kH);
}

TEST(SplitTest, AlignsToTheStepLikeGoIntegerDivision) {
  RangeRequest r = Req(1001, 59999, 1000);
  AlignToStep(&r);
  EXPECT_EQ(r.start_ms, 1000);
  EXPECT_EQ(r.end_ms, 59000);
}

TEST(RangeRequestTest, ResolvesAtStartAndEndAndKeepsOtherParams) {
  server::HttpRequest req;
  req.params = {{"query", "rate(x[5m] @ end()) + y @ start()"},
                {"start", "100"},
                {"end", "200"},
                {"step", "10"},
                {"dedup", "false"},
                {"replicaLabels[]", "replica"}};
  auto r = ParseRangeRequest(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->query, "rate(x[5m] @ 200.000) + y @ 100.000");
  EXPECT_EQ(r->Param("dedup"), "false");
  EXPECT_EQ(EncodeRangeRequest(*r),
            "query=rate%28x%5B5m%5D%20%40%20200.000%29%20%2B%20y%20%40%20100.000&start=100&end=200&"
            "step=10&dedup=false&replicaLabels%5B%5D=replica");
  req.params[1].second = "soon";
  EXPECT_EQ(ParseRangeRequest(req).status().message(),
            "invalid parameter \"start\": cannot parse \"soon\" to a valid timestamp");
  req.params[1].second = "300";
  EXPECT_EQ(ParseRangeRequest(req).status().message(),
            "end timestamp must not be before start time");
  req.params[1].second = "100";
  req.params[0].second = "sum(";
  EXPECT_FALSE(ParseRangeRequest(req).ok());
}

TEST(RangeRequestTest, CacheabilityFollowsAtAndOffset) {
  EXPECT_TRUE(QueryCacheable(Req(0, 100000, 1000, "x offset 5m"), 1'000'000));
  EXPECT_FALSE(QueryCacheable(Req(0, 100000, 1000, "x offset -5m"), 1'000'000));
  EXPECT_TRUE(QueryCacheable(Req(0, 100000, 1000, "x @ 50"), 1'000'000));
  EXPECT_FALSE(QueryCacheable(Req(0, 100000, 1000, "x @ 500"), 1'000'000));  // after the end
  EXPECT_FALSE(QueryCacheable(Req(0, 100000, 1000, "x @ 50"), 40'000));      // still fresh
}

TEST(RangeRequestTest, CacheKeysSeparateWhatChangesTheAnswer) {
  RangeRequest a = Req(0, kH, 15000, "up");
  RangeRequest b = a;
  b.params = {{"max_source_resolution", "1h"}};
  RangeRequest c = a;
  c.params = {{"replicaLabels[]", "r"}};
  RangeRequest d = a.WithRange(25 * kH, 26 * kH);
  EXPECT_EQ(CacheKey(a, "t", 24 * kH), "fe:t:up:15000:0:2:-:0:");
  EXPECT_NE(CacheKey(a, "t", 24 * kH), CacheKey(b, "t", 24 * kH));
  EXPECT_NE(CacheKey(a, "t", 24 * kH), CacheKey(c, "t", 24 * kH));
  EXPECT_NE(CacheKey(a, "t", 24 * kH), CacheKey(d, "t", 24 * kH));
  EXPECT_NE(CacheKey(a, "t", 24 * kH), CacheKey(a, "u", 24 * kH));
}

Matrix M(std::vector<std::pair<Labels, std::vector<int64_t>>> series) {
  Matrix m;
  for (auto& [l, ts] : series) {
    promql::SeriesPoints s{l, {}};
    for (int64_t t : ts) s.points.push_back({t, static_cast<double>(t) / 10});
    m.series.push_back(std::move(s));
  }
  return m;
}

TEST(MatrixTest, ParsesFormatsMergesAndExtracts) {
  const std::string body =
      R"({"status":"success","data":{"resultType":"matrix","result":[)"
      R"({"metric":{"__name__":"up","job":"a"},"values":[[1.500,"1"],[3,"NaN"]]},)"
      R"({"metric":{"job":"b\u003c"},"values":[[2,"+Inf"]]}]},"warnings":["w"]})";
  auto m = ParseMatrixResponse(body);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(FormatMatrixResponse(*m), body);
  EXPECT_EQ(m->series[0].points[0].t, 1500);
  EXPECT_FALSE(ParseMatrixResponse(R"({"status":"error","error":"x"})").ok());
  EXPECT_FALSE(
      ParseMatrixResponse(R"({"status":"success","data":{"resultType":"vector","result":[]}})")
          .ok());
  EXPECT_FALSE(ParseMatrixResponse("{not json").ok());
  for (const char* bare : {"0", "\"s\"", "null", "[1]", "true", R"({"status":["w"]})"}) {
    EXPECT_FALSE(ParseMatrixResponse(bare).ok()) << bare;  // found by the fuzzer
    EXPECT_FALSE(ParseInstantResponse(bare).ok()) << bare;
  }
  EXPECT_FALSE(ParseMatrixResponse(body.substr(0, body.size() / 2)).ok());  // truncated
  EXPECT_EQ(ParseMatrixResponse(R"({"status":"success","data":{"resultType":"matrix","result":[)"
                                R"({"metric":{},"histograms":[[1,{"count":"1"}]]}]}})")
                .status()
                .code(),
            StatusCode::kUnsupported);
  EXPECT_NE(ParseMatrixResponse(R"({"status":"success","data":{"resultType":"matrix","result":[)"
                                R"({"metric":{},"values":[[1,"one"]]}]}})")
                .status()
                .message()
                .find("\"one\" is not a number"),
            std::string::npos);
  auto escaped =
      ParseMatrixResponse(R"({"status":"success","data":{"resultType":"matrix","result":[)"
                          R"({"metric":{"a":"q\"\\\n\u00e9"},"values":[]}]}})");
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->series[0].labels.Get("a"), "q\"\\\n\u00e9");

  Labels a{{"job", "a"}}, b{{"job", "b"}};
  Matrix early = M({{b, {0, 10}}, {a, {0, 10, 20}}});
  Matrix late = M({{a, {20, 30}}, {b, {40}}});
  Matrix merged = Merge({late, early});
  ASSERT_EQ(merged.series.size(), 2u);
  EXPECT_EQ(merged.series[0].labels, a);          // label order, whatever the parts' order
  EXPECT_EQ(merged.series[0].points.size(), 4u);  // 20 once
  EXPECT_EQ(merged.series[1].points.back().t, 40);
  Matrix cut = Extract(merged, 15, 35);
  ASSERT_EQ(cut.series.size(), 1u);  // b has nothing in [15, 35]
  EXPECT_EQ(cut.series[0].points.size(), 2u);
}

TEST(MatrixTest, CacheEncodingRoundTripsAndRejectsDamage) {
  Matrix m = M({{Labels{{"a", "1"}}, {-5, 0, 7}}, {Labels{{"b", "2"}, {"c", "3"}}, {}}});
  const std::string enc = EncodeMatrix(m);
  auto back = DecodeMatrix(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(FormatMatrixResponse(*back), FormatMatrixResponse(m));
  for (size_t cut = 0; cut < enc.size(); cut++) {
    EXPECT_FALSE(DecodeMatrix(enc.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeMatrix("\xff\xff\xff\xff\x0f").ok());
}

// A fake querier: answers one point per step for one series, counting the ranges asked.
struct FakeQuerier {
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> asked;
  bool no_store = false;
  Result<Answer> operator()(const RangeRequest& r) {
    {
      std::lock_guard<std::mutex> l(mu);
      asked.emplace_back(r.start_ms, r.end_ms);
    }
    promql::SeriesPoints s{Labels{{"job", "x"}}, {}};
    for (int64_t t = r.start_ms; t <= r.end_ms; t += r.step_ms) s.points.push_back({t, 1.0});
    return Answer{Matrix{{s}, {}}, no_store};
  }
};

Fanout Serial() {
  return [](size_t n, const std::function<void(size_t)>& fn) {
    for (size_t i = 0; i < n; i++) fn(i);
  };
}

TEST(ResultsCacheTest, AsksTheQuerierOnlyForWhatTheExtentsMiss) {
  Registry reg;
  ResultsCache rc(cache::NewInMemory({.max_size_items = 100}, "fifocache", &reg),
                  {.max_freshness_ms = 60'000, .split = {.interval_ms = 24 * kH}}, Serial());
  FakeQuerier q;
  QueryFn next = [&](const RangeRequest& r) { return q(r); };
  const int64_t base = (NowMs() - 48 * kH) / (24 * kH) * (24 * kH);  // an old day
  const RangeRequest first = Req(base + kH, base + 2 * kH, 60000);
  auto a = rc.Get(first, "t", false, next);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->matrix.series[0].points.size(), 61u);
  EXPECT_EQ(q.asked.size(), 1u);
  // Served from the cache alone.
  auto again = rc.Get(first, "t", false, next);
  EXPECT_EQ(q.asked.size(), 1u);
  EXPECT_EQ(FormatMatrixResponse(again->matrix), FormatMatrixResponse(a->matrix));
  // A wider range: only the two missing ends are asked.
  auto wide = rc.Get(Req(base, base + 3 * kH, 60000), "t", false, next);
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->matrix.series[0].points.size(), 181u);
  ASSERT_EQ(q.asked.size(), 3u);
  EXPECT_EQ(q.asked[1], std::make_pair(base, base + kH));
  EXPECT_EQ(q.asked[2], std::make_pair(base + 2 * kH, base + 3 * kH));
  // Bypassed: asked again.
  ASSERT_TRUE(rc.Get(first, "t", true, next).ok());
  EXPECT_EQ(q.asked.size(), 4u);
}

TEST(ResultsCacheTest, KeepsNeitherFreshPointsNorNoStoreAnswers) {
  Registry reg;
  ResultsCache rc(cache::NewInMemory({.max_size_items = 100}, "fifocache", &reg),
                  {.max_freshness_ms = 10 * 60'000, .split = {.interval_ms = 24 * kH}}, Serial());
  FakeQuerier q;
  QueryFn next = [&](const RangeRequest& r) { return q(r); };
  const int64_t now = NowMs() / 60000 * 60000;
  const RangeRequest recent = Req(now - kH, now, 60000);
  ASSERT_TRUE(rc.Get(recent, "t", false, next).ok());
  ASSERT_TRUE(rc.Get(recent, "t", false, next).ok());
  // The second time only the last 10 minutes (and the step at the edge) were asked again.
  ASSERT_EQ(q.asked.size(), 2u);
  EXPECT_GE(q.asked[1].first, now - 11 * 60000);
  EXPECT_EQ(q.asked[1].second, now);

  FakeQuerier partial;
  partial.no_store = true;
  QueryFn next2 = [&](const RangeRequest& r) { return partial(r); };
  const RangeRequest old = Req(now - 30 * kH, now - 29 * kH, 60000, "other");
  auto a = rc.Get(old, "t", false, next2);
  EXPECT_TRUE(a->no_store);
  ASSERT_TRUE(rc.Get(old, "t", false, next2).ok());
  EXPECT_EQ(partial.asked.size(), 2u);
}

std::string Shard(const std::string& q) {
  auto e = promql::ParseExpr(q);
  if (!e.ok()) return "parse error";
  auto s = AnalyzeShardable(**e);
  return s ? ShardInfoJson(*s) : "no";
}

// Thanos's analyzer cases.
TEST(ShardTest, AnalyzesWhichQueriesShardAndBy) {
  EXPECT_EQ(Shard("sum by (pod) (rate(x[5m]))"), R"({"by":true,"labels":["pod"]})");
  EXPECT_EQ(Shard("sum(x)"), "no");
  EXPECT_EQ(Shard("x"), "no");
  EXPECT_EQ(Shard("a / b"), R"({"labels":["__name__"]})");
  EXPECT_EQ(Shard("histogram_quantile(0.9, sum by (le, job) (rate(b[5m])))"),
            R"({"by":true,"labels":["job"]})");
  EXPECT_EQ(Shard("sum by (a, b) (x) / on (b) sum by (b, c) (y)"), R"({"by":true,"labels":["b"]})");
  EXPECT_EQ(Shard("sum without (pod) (x)"), R"({"labels":["pod"]})");
  EXPECT_EQ(Shard("absent(sum by (pod) (x))"), "no");
  EXPECT_EQ(Shard("topk(3, sum by (pod) (x))"), "no");
  EXPECT_EQ(Shard("label_replace(sum by (pod) (x), \"p\", \"$1\", \"pod\", \"(.*)\")"),
            R"({"by":true,"labels":["pod"]})");
  ShardInfo s{.index = 2, .total = 3, .by = false, .labels = {"a"}};
  EXPECT_EQ(ShardInfoJson(s), R"({"shard_index":2,"total_shards":3,"labels":["a"]})");
}

TEST(ShardTest, EverySeriesFallsInOneShardAndGroupsStayTogether) {
  for (bool by : {true, false}) {
    ShardInfo s{.index = 0, .total = 4, .by = by, .labels = {"pod"}};
    for (int i = 0; i < 200; i++) {
      Labels l{{"__name__", "x"}, {"pod", "p" + std::to_string(i % 20)}, {"i", std::to_string(i)}};
      int hits = 0;
      for (int k = 0; k < 4; k++) {
        s.index = k;
        hits += s.Matches(l) ? 1 : 0;
      }
      EXPECT_EQ(hits, 1);
    }
  }
  // By pod: series of one pod share a shard, whatever their other labels.
  ShardInfo s{.index = 0, .total = 4, .by = true, .labels = {"pod"}};
  for (int k = 0; k < 4; k++) {
    s.index = k;
    EXPECT_EQ(s.Matches(Labels{{"pod", "a"}, {"i", "1"}}),
              s.Matches(Labels{{"pod", "a"}, {"j", "2"}}));
  }
}

TEST(GoFormatDurationTest, PrintsAsGo) {
  EXPECT_EQ(GoFormatDuration(0), "0s");
  EXPECT_EQ(GoFormatDuration(250), "250ms");
  EXPECT_EQ(GoFormatDuration(1500), "1.5s");
  EXPECT_EQ(GoFormatDuration(120000), "2m0s");
  EXPECT_EQ(GoFormatDuration(721 * kH), "721h0m0s");
  EXPECT_EQ(GoFormatDuration(kH + 1), "1h0m0.001s");
}

}  // namespace
}  // namespace strata::frontend
