#include "storage/merge.h"

#include <gtest/gtest.h>

#include <utility>

namespace strata::storage {
namespace {

using Samples = std::vector<std::pair<int64_t, double>>;

class VecIterator : public SampleIterator {
 public:
  explicit VecIterator(Samples s) : s_(std::move(s)) {}
  bool Next() override { return ++i_ < static_cast<long>(s_.size()); }
  bool Seek(int64_t t) override {
    if (i_ < 0) i_ = 0;
    while (i_ < static_cast<long>(s_.size()) && s_[i_].first < t) i_++;
    return i_ < static_cast<long>(s_.size());
  }
  int64_t t() const override { return s_[i_].first; }
  double v() const override { return s_[i_].second; }
  Status status() const override { return Status::OK(); }

 private:
  Samples s_;
  long i_ = -1;
};

class VecSeries : public Series {
 public:
  VecSeries(Labels l, Samples s) : l_(std::move(l)), s_(std::move(s)) {}
  const Labels& labels() const override { return l_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<VecIterator>(s_);
  }

 private:
  Labels l_;
  Samples s_;
};

std::shared_ptr<const Series> S(const char* v, Samples s) {
  return std::make_shared<VecSeries>(Labels{{"a", v}}, std::move(s));
}

TEST(MergeTest, MergesSortedSetsAndChainsSharedSeries) {
  std::vector<std::unique_ptr<SeriesSet>> sets;
  sets.push_back(VectorSeriesSet({S("1", {{1, 1}, {3, 3}}), S("3", {{1, 1}})}));
  sets.push_back(VectorSeriesSet({S("1", {{2, 2}, {3, 30}, {4, 4}}), S("2", {{5, 5}})}));
  auto m = MergeSeriesSets(std::move(sets));
  std::vector<std::string> names;
  Samples first;
  while (m->Next()) {
    names.emplace_back(m->At()->labels().Get("a"));
    if (names.size() == 1) {
      auto it = m->At()->Iterator();
      while (it->Next()) first.emplace_back(it->t(), it->v());
    }
  }
  EXPECT_TRUE(m->status().ok());
  EXPECT_EQ(names, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(first, (Samples{{1, 1}, {2, 2}, {3, 3}, {4, 4}}));  // t=3 once, from the first set
}

TEST(MergeTest, InterleaveKeepsEqualSeriesApartInInputOrder) {
  std::vector<std::unique_ptr<SeriesSet>> sets;
  sets.push_back(VectorSeriesSet({S("1", {{1, 1}}), S("3", {{1, 1}})}));
  sets.push_back(VectorSeriesSet({S("1", {{2, 2}}), S("1", {{3, 3}}), S("2", {{5, 5}})}));
  auto m = InterleaveSeriesSets(std::move(sets));
  std::vector<std::string> got;
  while (m->Next()) {
    auto it = m->At()->Iterator();
    ASSERT_TRUE(it->Next());
    got.push_back(std::string(m->At()->labels().Get("a")) + "@" + std::to_string(it->t()));
    EXPECT_FALSE(it->Next());
  }
  EXPECT_TRUE(m->status().ok());
  EXPECT_EQ(got, (std::vector<std::string>{"1@1", "1@2", "1@3", "2@5", "3@1"}));
}

TEST(MergeTest, ChainSeek) {
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(std::make_unique<VecIterator>(Samples{{1, 1}, {5, 5}}));
  its.push_back(std::make_unique<VecIterator>(Samples{{2, 2}, {6, 6}}));
  auto c = ChainSampleIterators(std::move(its));
  ASSERT_TRUE(c->Seek(3));
  EXPECT_EQ(c->t(), 5);
  ASSERT_TRUE(c->Next());
  EXPECT_EQ(c->t(), 6);
  EXPECT_FALSE(c->Next());
}

TEST(MergeTest, ErrorsPropagate) {
  std::vector<std::unique_ptr<SeriesSet>> sets;
  sets.push_back(VectorSeriesSet({S("1", {})}));
  sets.push_back(ErrorSeriesSet(Status::Corruption("bad block")));
  auto m = MergeSeriesSets(std::move(sets));
  EXPECT_FALSE(m->Next());
  EXPECT_EQ(m->status().message(), "bad block");
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

TEST(MergeTest, ChainFollowsDisjointBlocksAndInterleavesOverlaps) {
  Samples a, b, c, want;
  for (int t = 0; t < 100; t++) a.push_back({t, t});        // block 1
  for (int t = 100; t < 200; t++) b.push_back({t, t});      // block 2, disjoint
  for (int t = 150; t < 250; t += 2) c.push_back({t, -t});  // overlaps block 2, shares even t
  for (int t = 0; t < 250; t++) {
    if (t < 200) {
      want.push_back({t, t});
    } else if (t % 2 == 0) {
      want.push_back({t, -t});
    }
  }
  std::vector<std::unique_ptr<SampleIterator>> its;
  its.push_back(std::make_unique<VecIterator>(c));
  its.push_back(std::make_unique<VecIterator>(a));
  its.push_back(std::make_unique<VecIterator>(b));
  auto it = ChainSampleIterators(std::move(its));
  Samples got;
  while (it->Next()) got.emplace_back(it->t(), it->v());
  // Where c and b share a timestamp, the first input holding it (c) wins.
  for (auto& [t, v] : want) {
    if (t >= 150 && t < 200 && t % 2 == 0) v = -t;
  }
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace strata::storage
