#include "storage/merge.h"

#include <algorithm>
#include <limits>

namespace strata::storage {
namespace {

// Merges iterators in time order. Blocks rarely overlap, so the iterator holding the earliest
// sample is followed directly until it passes the earliest head of the others (`boundary_`);
// only then are the inputs compared again. Duplicated timestamps come out once.
class ChainIterator : public SampleIterator {
 public:
  explicit ChainIterator(std::vector<std::unique_ptr<SampleIterator>> its)
      : its_(std::move(its)), valid_(its_.size(), false) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); i++) valid_[i] = its_[i]->Next();
      return Pick();
    }
    if (cur_ < 0) return false;
    SampleIterator* c = its_[static_cast<size_t>(cur_)].get();
    valid_[static_cast<size_t>(cur_)] = c->Next();
    if (boundary_ > t_ && valid_[static_cast<size_t>(cur_)] && c->t() < boundary_) {
      t_ = c->t();
      v_ = c->v();
      return true;
    }
    // Another input is at the sample just returned (a duplicate), or the current one ran out or
    // passed another's head: advance duplicates and compare the heads again.
    for (size_t i = 0; i < its_.size(); i++) {
      if (static_cast<int>(i) != cur_ && valid_[i] && its_[i]->t() == t_)
        valid_[i] = its_[i]->Next();
    }
    return Pick();
  }

  bool Seek(int64_t t) override {
    if (started_ && cur_ >= 0 && t_ >= t) return true;
    started_ = true;
    for (size_t i = 0; i < its_.size(); i++) valid_[i] = its_[i]->Seek(t);
    return Pick();
  }

  int64_t t() const override { return t_; }
  double v() const override { return v_; }
  Status status() const override {
    for (const auto& it : its_) {
      if (Status st = it->status(); !st.ok()) return st;
    }
    return Status::OK();
  }

 private:
  // Makes the input with the earliest sample current and records the earliest other head.
  bool Pick() {
    cur_ = -1;
    boundary_ = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < its_.size(); i++) {
      if (!valid_[i]) continue;
      const int64_t t = its_[i]->t();
      if (cur_ < 0 || t < t_) {
        if (cur_ >= 0) boundary_ = std::min(boundary_, t_);
        cur_ = static_cast<int>(i);
        t_ = t;
      } else {
        boundary_ = std::min(boundary_, t);
      }
    }
    if (cur_ < 0) return false;
    v_ = its_[static_cast<size_t>(cur_)]->v();
    return true;
  }

  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<bool> valid_;
  bool started_ = false;
  int cur_ = -1;
  int64_t t_ = 0;
  int64_t boundary_ = 0;  // the earliest head among the inputs other than cur_
  double v_ = 0;
};

class MergedSeries : public Series {
 public:
  explicit MergedSeries(std::vector<std::shared_ptr<const Series>> parts)
      : parts_(std::move(parts)) {}
  const Labels& labels() const override { return parts_[0]->labels(); }
  std::unique_ptr<SampleIterator> Iterator() const override {
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (const auto& p : parts_) its.push_back(p->Iterator());
    return ChainSampleIterators(std::move(its));
  }
  bool counts_samples() const override { return parts_[0]->counts_samples(); }

 private:
  std::vector<std::shared_ptr<const Series>> parts_;
};

// With combine, equal label sets from several inputs become one MergedSeries; without, they
// come out one after the other, in input order.
class MergeSet : public SeriesSet {
 public:
  MergeSet(std::vector<std::unique_ptr<SeriesSet>> sets, bool combine)
      : sets_(std::move(sets)), valid_(sets_.size(), false), combine_(combine) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < sets_.size(); i++) valid_[i] = sets_[i]->Next();
    } else {
      for (size_t i : current_) valid_[i] = sets_[i]->Next();
    }
    if (!status().ok()) return false;
    // The smallest label set among the inputs, and every input holding it.
    current_.clear();
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); i++) {
      if (!valid_[i]) continue;
      const Labels& l = sets_[i]->At()->labels();
      int c = min == nullptr ? -1 : CompareLabels(l, *min);
      if (c < 0) {
        min = &l;
        current_.assign(1, i);
      } else if (c == 0 && combine_) {
        current_.push_back(i);
      }
    }
    if (current_.empty()) return false;
    if (current_.size() == 1) {
      cur_ = sets_[current_[0]]->At();
    } else {
      std::vector<std::shared_ptr<const Series>> parts;
      for (size_t i : current_) parts.push_back(sets_[i]->At());
      cur_ = std::make_shared<MergedSeries>(std::move(parts));
    }
    return true;
  }

  std::shared_ptr<const Series> At() const override { return cur_; }
  Status status() const override {
    for (const auto& s : sets_) {
      if (Status st = s->status(); !st.ok()) return st;
    }
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<SeriesSet>> sets_;
  std::vector<bool> valid_;
  std::vector<size_t> current_;
  const bool combine_;
  bool started_ = false;
  std::shared_ptr<const Series> cur_;
};

}  // namespace

std::unique_ptr<SampleIterator> ChainSampleIterators(
    std::vector<std::unique_ptr<SampleIterator>> its) {
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<ChainIterator>(std::move(its));
}

std::unique_ptr<SeriesSet> MergeSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets) {
  if (sets.size() == 1) return std::move(sets[0]);
  return std::make_unique<MergeSet>(std::move(sets), true);
}

std::unique_ptr<SeriesSet> InterleaveSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets) {
  if (sets.size() == 1) return std::move(sets[0]);
  return std::make_unique<MergeSet>(std::move(sets), false);
}

}  // namespace strata::storage
