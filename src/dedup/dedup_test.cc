// Thanos's own deduplication vectors (../shared/conformance/dedup): real HA-pair StoreAPI
// responses and the querier results Thanos v0.34 expects, evaluated through Strata's engine.
#include "dedup/dedup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "base/file.h"
#include "promql/engine.h"
#include "storage/memory.h"
#include "tsdb/xor_chunk.h"

namespace strata::dedup {
namespace {

namespace fs = std::filesystem;

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    size_t pos = kAlphabet.find(c);
    if (pos == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

fs::path Vectors() {
  const char* shared = std::getenv("STRATA_SHARED_DIR");
  return shared == nullptr ? fs::path() : fs::path(shared) / "conformance/dedup";
}

// Loads SeriesResponse lines (protobuf JSON) into a store, decoding every XOR chunk.
std::shared_ptr<storage::MemoryStore> LoadResponses(const fs::path& file) {
  auto store = std::make_shared<storage::MemoryStore>();
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    std::vector<Label> ls;
    for (const auto& l : j["series"]["labels"]) ls.push_back({l["name"], l["value"]});
    Labels labels = Labels::FromUnsorted(std::move(ls));
    int64_t last = INT64_MIN;
    for (const auto& c : j["series"]["chunks"]) {
      const std::string data = Base64Decode(c["raw"]["data"]);
      tsdb::XorIterator it(data);
      while (it.Next()) {
        if (it.t() <= last) continue;  // overlapping chunks: keep time order
        store->Add(labels, it.t(), it.v());
        last = it.t();
      }
      EXPECT_TRUE(it.status().ok()) << it.status().ToString();
    }
  }
  return store;
}

// Compares a range-query matrix with a Prometheus API response file exactly (series matched by
// labels: the file's series order is not sorted).
void ExpectMatrix(const promql::QueryResult& got, const fs::path& expected_file) {
  auto want = nlohmann::json::parse(*ReadFile(expected_file.string()));
  const auto& result = want["data"]["result"];
  ASSERT_EQ(got.matrix.size(), result.size());
  for (const auto& series : result) {
    std::vector<Label> ls;
    for (const auto& [k, v] : series["metric"].items()) ls.push_back({k, v.get<std::string>()});
    const Labels labels = Labels::FromUnsorted(std::move(ls));
    auto it = std::find_if(got.matrix.begin(), got.matrix.end(),
                           [&](const auto& s) { return s.labels == labels; });
    ASSERT_NE(it, got.matrix.end()) << "missing series " << labels.String();
    const auto& values = series["values"];
    ASSERT_EQ(it->points.size(), values.size()) << labels.String();
    for (size_t p = 0; p < values.size(); p++) {
      const int64_t t = std::llround(values[p][0].get<double>() * 1000);
      const double v = std::stod(values[p][1].get<std::string>());
      ASSERT_EQ(it->points[p].t, t) << labels.String() << " point " << p;
      ASSERT_EQ(it->points[p].v, v) << labels.String() << " point " << p << " at " << t;
    }
  }
}

TEST(DedupConformanceTest, Issue2890SwitchingReplicasLosesNoSamples) {
  if (!fs::exists(Vectors())) GTEST_SKIP() << "../shared/conformance/dedup is not present";
  auto store = LoadResponses(Vectors() / "issue2890-seriesresponses.json");
  promql::EngineOptions opts;
  opts.lookback_delta_ms = 15 * 60 * 1000;
  promql::Engine engine(opts);
  auto raw = engine.RangeQuery(*store, "cluster_version{}", 1598471700000, 1598472600000, 3000);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  ExpectMatrix(*raw, Vectors() / "issue2890-expected.json");
  auto deduped = NewDedupQuerier(store, {"replica"});
  auto dd = engine.RangeQuery(*deduped, "cluster_version{}", 1598471700000, 1598472600000, 3000);
  ASSERT_TRUE(dd.ok()) << dd.status().ToString();
  ExpectMatrix(*dd, Vectors() / "issue2890-expected-dedup.json");
}

TEST(DedupConformanceTest, Issue2401NoInterleavingAndNoRateSpikes) {
  if (!fs::exists(Vectors())) GTEST_SKIP() << "../shared/conformance/dedup is not present";
  auto store = LoadResponses(Vectors() / "issue2401-seriesresponses.json");
  auto deduped = NewDedupQuerier(store, {"replica"});
  const int64_t mint = 1587690000000, maxt = 1587693600000;
  // The raw deduplicated samples: never closer than half the scrape interval of either replica.
  storage::SelectHints h{mint, maxt, 0, 0, ""};
  Matchers ms{*Matcher::Make(MatchType::kEqual, "__name__",
                             "gitlab_transaction_cache_read_hit_count_total")};
  auto set = deduped->Select(h, ms);
  int series = 0;
  while (set->Next()) {
    series++;
    EXPECT_FALSE(set->At()->labels().Has("replica"));
    auto it = set->At()->Iterator();
    int64_t prev = INT64_MIN;
    int n = 0;
    while (it->Next()) {
      if (prev != INT64_MIN) {
        EXPECT_GE(it->t() - prev, 7500) << "samples from two replicas interleaved at " << it->t();
      }
      prev = it->t();
      n++;
    }
    EXPECT_GT(n, 100);
  }
  EXPECT_EQ(series, 1);
  // rate() over the deduplicated counter never exceeds what either replica alone shows.
  promql::Engine engine;
  const char* q = "rate(gitlab_transaction_cache_read_hit_count_total[5m])";
  auto dd = engine.RangeQuery(*deduped, q, mint + 300000, maxt, 100000);
  auto each = engine.RangeQuery(*store, q, mint + 300000, maxt, 100000);
  ASSERT_TRUE(dd.ok() && each.ok());
  ASSERT_EQ(dd->matrix.size(), 1u);
  double max_replica = 0;
  for (const auto& s : each->matrix) {
    for (const auto& p : s.points) max_replica = std::max(max_replica, p.v);
  }
  for (const auto& p : dd->matrix[0].points)
    EXPECT_LE(p.v, max_replica * 1.05) << "rate spike at " << p.t;
}

TEST(DedupTest, PenaltyKeepsOneReplicaUntilAGap) {
  auto store = std::make_shared<storage::MemoryStore>();
  Labels a{{"__name__", "m"}, {"replica", "a"}}, b{{"__name__", "m"}, {"replica", "b"}};
  for (int64_t t = 0; t <= 300000; t += 15000) {
    if (t < 100000 || t > 200000) store->Add(a, t, 1);  // replica a has a gap
    store->Add(b, t + 5000, 2);                         // b scrapes 5 s later
  }
  auto q = NewDedupQuerier(store, {"replica"});
  auto set = q->Select({0, 400000, 0, 0, ""}, {*Matcher::Make(MatchType::kEqual, "__name__", "m")});
  ASSERT_TRUE(set->Next());
  auto it = set->At()->Iterator();
  std::vector<std::pair<int64_t, double>> got;
  while (it->Next()) got.emplace_back(it->t(), it->v());
  // a until its gap, then b (no switching back while b keeps its rhythm), no interleaving.
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), (std::pair<int64_t, double>{0, 1}));
  for (size_t i = 1; i < got.size(); i++) EXPECT_GE(got[i].first - got[i - 1].first, 10000) << i;
  EXPECT_EQ(got.back().second, 2);
}

// A series of fixed samples.
class FixedSeries : public storage::Series {
 public:
  using Samples = std::vector<std::pair<int64_t, double>>;
  FixedSeries(Labels l, Samples s) : l_(std::move(l)), s_(std::move(s)) {}
  const Labels& labels() const override { return l_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<It>(&s_);
  }

 private:
  class It : public storage::SampleIterator {
   public:
    explicit It(const Samples* s) : s_(s) {}
    bool Next() override { return ++i_ < s_->size(); }  // i_ starts before the first sample
    bool Seek(int64_t t) override {
      if (i_ == SIZE_MAX) i_ = 0;
      while (i_ < s_->size() && (*s_)[i_].first < t) i_++;
      return i_ < s_->size();
    }
    int64_t t() const override { return (*s_)[i_].first; }
    double v() const override { return (*s_)[i_].second; }
    Status status() const override { return Status::OK(); }

   private:
    const Samples* s_;
    size_t i_ = SIZE_MAX;
  };
  Labels l_;
  Samples s_;
};

TEST(DedupTest, SortedInputIsDeduplicatedRunByRunAndDisorderIsAnError) {
  auto s = [](const char* name, std::vector<std::pair<int64_t, double>> samples) {
    return std::make_shared<FixedSeries>(Labels{{"__name__", name}}, std::move(samples));
  };
  // Replicas of "a" (a gap in the first), a lone "b".
  auto set = DedupSortedSeriesSet(
      storage::VectorSeriesSet({s("a", {{0, 1}, {15000, 1}, {90000, 1}}),
                                s("a", {{5000, 2}, {20000, 2}, {35000, 2}, {50000, 2}}),
                                s("b", {{0, 3}})}),
      "");
  std::vector<std::string> got;
  while (set->Next()) {
    std::string line = std::string(set->At()->labels().Get("__name__")) + ":";
    auto it = set->At()->Iterator();
    while (it->Next())
      line += " " + std::to_string(it->t() / 1000) + "=" + std::to_string(int(it->v()));
    got.push_back(line);
  }
  EXPECT_TRUE(set->status().ok());
  // a's first replica until its gap, then the second (after the penalty of twice the interval).
  EXPECT_EQ(got, (std::vector<std::string>{"a: 0=1 15=1 50=2", "b: 0=3"}));

  set = DedupSortedSeriesSet(storage::VectorSeriesSet({s("b", {{0, 1}}), s("a", {{0, 1}})}), "");
  EXPECT_FALSE(set->Next());
  EXPECT_EQ(set->status().code(), StatusCode::kInternal);
  EXPECT_NE(set->status().message().find("{__name__=\"a\"} came after {__name__=\"b\"}"),
            std::string::npos)
      << set->status().ToString();
}

// Thanos's penalty algorithm as it is written, moving both inputs at every step: the reference
// for the iterator, which moves only the input whose sample could come next.
class RefIterator {
 public:
  virtual ~RefIterator() = default;
  virtual bool Seek(int64_t t) = 0;
  virtual int64_t t() const = 0;
  virtual double v() const = 0;
  virtual void AdjustTo(double last) = 0;
};

class RefReplica : public RefIterator {
 public:
  explicit RefReplica(const FixedSeries::Samples* s) : s_(s) {}
  bool Seek(int64_t t) override {
    while (i_ < s_->size() && (*s_)[i_].first < t) i_++;
    return i_ < s_->size();
  }
  int64_t t() const override { return (*s_)[i_].first; }
  double v() const override { return (*s_)[i_].second + adjust_; }
  void AdjustTo(double last) override {
    if (last > v()) adjust_ += last - v();
  }

 private:
  const FixedSeries::Samples* s_;
  size_t i_ = 0;
  double adjust_ = 0;
};

class RefPenalty : public RefIterator {
 public:
  RefPenalty(std::unique_ptr<RefIterator> a, std::unique_ptr<RefIterator> b, bool counter)
      : a_(std::move(a)), b_(std::move(b)), counter_(counter) {
    aok_ = a_->Seek(INT64_MIN);
    bok_ = b_->Seek(INT64_MIN);
  }
  bool Next() {
    const bool had = last_ != INT64_MIN;
    const double last_v = had ? v() : 0;
    const bool was_a = use_a_;
    if (aok_) aok_ = a_->Seek(had ? last_ + 1 + pen_a_ : INT64_MIN);
    if (bok_) bok_ = b_->Seek(had ? last_ + 1 + pen_b_ : INT64_MIN);
    if (!aok_ && !bok_) return false;
    if (!aok_ || !bok_) {
      use_a_ = aok_;
    } else {
      use_a_ = a_->t() <= b_->t();
      (use_a_ ? pen_b_ : pen_a_) = had ? 2 * (t() - last_) : 5000;
    }
    (use_a_ ? pen_a_ : pen_b_) = 0;
    last_ = t();
    if (had && counter_ && use_a_ != was_a) (use_a_ ? a_ : b_)->AdjustTo(last_v);
    return true;
  }
  bool Seek(int64_t t) override {
    if (last_ != INT64_MIN && last_ >= t) return true;
    while (Next()) {
      if (last_ >= t) return true;
    }
    return false;
  }
  int64_t t() const override { return use_a_ ? a_->t() : b_->t(); }
  double v() const override { return use_a_ ? a_->v() : b_->v(); }
  void AdjustTo(double last) override {
    if (aok_) a_->AdjustTo(last);
    if (bok_) b_->AdjustTo(last);
  }

 private:
  std::unique_ptr<RefIterator> a_, b_;
  bool counter_, aok_ = false, bok_ = false, use_a_ = false;
  int64_t last_ = INT64_MIN, pen_a_ = 0, pen_b_ = 0;
};

TEST(DedupTest, PenaltyEqualsThanosAlgorithmOnRandomReplicas) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; round++) {
    const int n = 2 + round % 3;  // replicas
    const bool counter = round % 2;
    std::vector<FixedSeries::Samples> replicas(n);
    for (auto& r : replicas) {
      // Scrapes every 15 s with an offset and jitter, some gaps, a counter with resets.
      int64_t t = std::uniform_int_distribution<int64_t>(0, 15000)(rng);
      double v = 0;
      for (int i = 0; i < 200; i++) {
        t += 15000 + std::uniform_int_distribution<int64_t>(-2000, 2000)(rng);
        if (std::uniform_int_distribution<int>(0, 30)(rng) == 0)
          t += std::uniform_int_distribution<int64_t>(30000, 600000)(rng);
        v = std::uniform_int_distribution<int>(0, 50)(rng) == 0
                ? 0
                : v + std::uniform_int_distribution<int>(0, 10)(rng);
        r.emplace_back(t, v);
      }
    }
    std::vector<std::shared_ptr<const storage::Series>> in;
    for (const auto& r : replicas)
      in.push_back(std::make_shared<FixedSeries>(Labels{{"__name__", "m"}}, r));
    auto set = DedupSortedSeriesSet(storage::VectorSeriesSet(std::move(in)), counter ? "rate" : "");
    ASSERT_TRUE(set->Next());
    auto it = set->At()->Iterator();
    std::unique_ptr<RefIterator> ref = std::make_unique<RefReplica>(&replicas[0]);
    for (int i = 1; i < n; i++) {
      ref = std::make_unique<RefPenalty>(std::move(ref), std::make_unique<RefReplica>(&replicas[i]),
                                         counter);
    }
    auto* top = static_cast<RefPenalty*>(ref.get());
    size_t k = 0;
    for (; top->Next(); k++) {
      ASSERT_TRUE(it->Next()) << "round " << round << " sample " << k;
      ASSERT_EQ(it->t(), top->t()) << "round " << round << " sample " << k;
      ASSERT_EQ(it->v(), top->v()) << "round " << round << " sample " << k;
    }
    EXPECT_FALSE(it->Next()) << "round " << round;
    EXPECT_GT(k, 150u);
  }
}

TEST(DedupTest, ChainKeepsEverySampleOncePerTimestamp) {
  auto store = std::make_shared<storage::MemoryStore>();
  Labels a{{"__name__", "m"}, {"replica", "a"}}, b{{"__name__", "m"}, {"replica", "b"}};
  for (int64_t t = 0; t <= 60000; t += 20000) store->Add(a, t, 1);      // 0 20 40 60 s
  for (int64_t t = 10000; t <= 70000; t += 20000) store->Add(b, t, 2);  // 10 30 50 70 s
  store->Add(b, 80000, 2);
  auto q = NewDedupQuerier(store, {"replica"}, Algorithm::kChain);
  auto set = q->Select({0, 100000, 0, 0, ""}, {*Matcher::Make(MatchType::kEqual, "__name__", "m")});
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At()->labels(), (Labels{{"__name__", "m"}}));
  auto it = set->At()->Iterator();
  std::vector<int64_t> ts;
  while (it->Next()) ts.push_back(it->t());
  EXPECT_EQ(ts, (std::vector<int64_t>{0, 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000}));
  EXPECT_FALSE(set->Next());
  // The same replicas with penalty: mostly one replica at a time, so fewer samples.
  set = NewDedupQuerier(store, {"replica"})
            ->Select({0, 100000, 0, 0, ""}, {*Matcher::Make(MatchType::kEqual, "__name__", "m")});
  ASSERT_TRUE(set->Next());
  it = set->At()->Iterator();
  size_t penalty_samples = 0;
  while (it->Next()) penalty_samples++;
  EXPECT_LT(penalty_samples, ts.size());
  EXPECT_EQ(ParseAlgorithm("chain").value(), Algorithm::kChain);
  EXPECT_EQ(ParseAlgorithm("penalty").value(), Algorithm::kPenalty);
  ASSERT_FALSE(ParseAlgorithm("").ok());
  EXPECT_NE(ParseAlgorithm("fast").status().message().find("penalty or chain"), std::string::npos);
}

}  // namespace
}  // namespace strata::dedup
