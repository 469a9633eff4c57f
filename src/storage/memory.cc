#include "storage/memory.h"

#include <algorithm>

namespace strata::storage {
namespace {

class SliceIterator : public SampleIterator {
 public:
  SliceIterator(const int64_t* t, const double* v, size_t n) : t_(t), v_(v), n_(n) {}
  bool Next() override { return ++i_ < n_; }
  bool Seek(int64_t t) override {
    if (i_ == static_cast<size_t>(-1)) i_ = 0;
    while (i_ < n_ && t_[i_] < t) i_++;
    return i_ < n_;
  }
  int64_t t() const override { return t_[i_]; }
  double v() const override { return v_[i_]; }
  Status status() const override { return Status::OK(); }

 private:
  const int64_t* t_;
  const double* v_;
  size_t n_;
  size_t i_ = static_cast<size_t>(-1);
};

class MemorySeries : public Series {
 public:
  MemorySeries(Labels l, std::shared_ptr<const void> keep, const int64_t* t, const double* v,
               size_t n)
      : labels_(std::move(l)), keep_(std::move(keep)), t_(t), v_(v), n_(n) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<SliceIterator>(t_, v_, n_);
  }

 private:
  Labels labels_;
  std::shared_ptr<const void> keep_;  // keeps the samples alive
  const int64_t* t_;
  const double* v_;
  size_t n_;
};

}  // namespace

void MemoryStore::Add(const Labels& labels, int64_t t, double v) {
  auto& d = series_[labels];
  if (!d) d = std::make_shared<Data>();
  d->t.push_back(t);
  d->v.push_back(v);
}

std::unique_ptr<SeriesSet> MemoryStore::Select(const SelectHints& hints, const Matchers& matchers) {
  std::vector<std::shared_ptr<const Series>> out;
  for (const auto& [labels, d] : series_) {
    bool ok = true;
    for (const auto& m : matchers) ok = ok && m.Matches(labels.Get(m.name()));
    if (!ok) continue;
    auto lo = std::lower_bound(d->t.begin(), d->t.end(), hints.start) - d->t.begin();
    auto hi = std::upper_bound(d->t.begin(), d->t.end(), hints.end) - d->t.begin();
    if (lo >= hi) continue;
    out.push_back(std::make_shared<MemorySeries>(labels, d, d->t.data() + lo, d->v.data() + lo,
                                                 static_cast<size_t>(hi - lo)));
  }
  return VectorSeriesSet(std::move(out));
}

}  // namespace strata::storage
