#include "dedup/dedup.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

#include "storage/merge.h"

namespace strata::dedup {
namespace {

constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kInitialPenalty = 5000;  // ms; before two samples give an interval

bool IsStaleMarker(double v) { return std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ull; }

bool IsCounterFunction(std::string_view f) {
  return f == "rate" || f == "increase" || f == "irate" || f == "resets";
}

// An iterator whose values can be raised after a replica switch, so a counter never appears
// to go down (Thanos's adjustable series iterators).
class Adjustable {
 public:
  virtual ~Adjustable() = default;
  virtual bool Seek(int64_t t) = 0;
  virtual bool Next() = 0;
  virtual int64_t t() const = 0;
  virtual double v() const = 0;
  // Raises the values so the current one is at least `last`.
  virtual void AdjustTo(double last) = 0;
  virtual Status status() const = 0;
};

class Replica : public Adjustable {
 public:
  explicit Replica(std::unique_ptr<storage::SampleIterator> it) : it_(std::move(it)) {}
  bool Seek(int64_t t) override { return it_->Seek(t); }
  bool Next() override { return it_->Next(); }
  int64_t t() const override { return it_->t(); }
  double v() const override {
    const double raw = it_->v();
    // A stale marker must stay bit-exact (adding to it would turn it into an ordinary NaN).
    return IsStaleMarker(raw) ? raw : raw + adjust_;
  }
  void AdjustTo(double last) override {
    if (last > v()) adjust_ += last - v();
  }
  Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<storage::SampleIterator> it_;
  double adjust_ = 0;
};

// Thanos's penalty-based dedup of two (possibly already merged) replicas. After each sample
// both inputs are due to move past it plus their penalty; an input is only moved when its next
// sample could come first, so the replica not in use is not decoded while the other keeps its
// rhythm (its chunks are skipped whole when it is needed again). The samples are those of
// Thanos's algorithm, which moves both inputs at every step: seeks only go forward, so moving
// an input once to the latest target it was due lands where moving it every time would.
class PenaltyIterator : public Adjustable {
 public:
  PenaltyIterator(std::unique_ptr<Adjustable> a, std::unique_ptr<Adjustable> b, bool counter)
      : a_(std::move(a)), b_(std::move(b)), counter_(counter) {
    aok_ = a_->Next();
    bok_ = b_->Next();
  }

  bool Next() override {
    const bool had = last_t_ != kNoTime;
    const double last_v = had ? v() : 0;
    const bool was_a = use_a_;
    const bool ok = Step();
    if (ok && had && counter_ && use_a_ != was_a) (use_a_ ? a_ : b_)->AdjustTo(last_v);
    return ok;
  }

  // Iterates rather than seeking the inputs, so gaps in one replica are not missed.
  bool Seek(int64_t t) override {
    if (last_t_ != kNoTime && last_t_ >= t) return true;
    while (Next()) {
      if (last_t_ >= t) return true;
    }
    return false;
  }
  int64_t t() const override { return use_a_ ? a_->t() : b_->t(); }
  double v() const override { return use_a_ ? a_->v() : b_->v(); }
  void AdjustTo(double last) override {
    // Adjusts each input at the position Thanos's algorithm would have it at.
    if (aok_) aok_ = a_->Seek(due_a_);
    if (bok_) bok_ = b_->Seek(due_b_);
    if (aok_) a_->AdjustTo(last);
    if (bok_) b_->AdjustTo(last);
  }
  Status status() const override {
    Status st = a_->status();
    return st.ok() ? b_->status() : st;
  }

 private:
  bool Step() {
    if (last_t_ != kNoTime) {
      due_a_ = std::max(due_a_, last_t_ + 1 + pen_a_);
      due_b_ = std::max(due_b_, last_t_ + 1 + pen_b_);
    }
    // Move the input due earlier; the other only if its next sample could come first (it is at
    // or after its due time, and ties go to a).
    const bool a_first = due_a_ <= due_b_;
    bool& first_ok = a_first ? aok_ : bok_;
    bool& other_ok = a_first ? bok_ : aok_;
    Adjustable* first = a_first ? a_.get() : b_.get();
    Adjustable* other = a_first ? b_.get() : a_.get();
    const int64_t other_due = a_first ? due_b_ : due_a_;
    if (first_ok) first_ok = first->Seek(a_first ? due_a_ : due_b_);
    const bool settled = first_ok && (a_first ? first->t() <= other_due : first->t() < other_due);
    if (!settled && other_ok) other_ok = other->Seek(other_due);
    if (!aok_ && !bok_) return false;
    if (!first_ok) {
      use_a_ = !a_first;
    } else if (settled || !other_ok) {
      use_a_ = a_first;
    } else {
      use_a_ = a_->t() <= b_->t();
    }
    const int64_t chosen = t();
    if (aok_ && bok_) {
      // The replica not chosen must skip twice the last interval, so no sample lands too close.
      (use_a_ ? pen_b_ : pen_a_) = last_t_ != kNoTime ? 2 * (chosen - last_t_) : kInitialPenalty;
    }
    (use_a_ ? pen_a_ : pen_b_) = 0;
    last_t_ = chosen;
    return true;
  }

  std::unique_ptr<Adjustable> a_, b_;
  bool counter_;
  bool aok_ = false, bok_ = false, use_a_ = false;
  int64_t last_t_ = kNoTime;
  int64_t pen_a_ = 0, pen_b_ = 0;
  int64_t due_a_ = kNoTime, due_b_ = kNoTime;  // where each input must be moved to, at least
};

// Presents an Adjustable as a SampleIterator.
class DedupIterator : public storage::SampleIterator {
 public:
  explicit DedupIterator(std::unique_ptr<Adjustable> it) : it_(std::move(it)) {}
  bool Next() override { return it_->Next(); }
  bool Seek(int64_t t) override { return it_->Seek(t); }
  int64_t t() const override { return it_->t(); }
  double v() const override { return it_->v(); }
  Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<Adjustable> it_;
};

class DedupSeries : public storage::Series {
 public:
  DedupSeries(Labels l, std::vector<std::shared_ptr<const storage::Series>> replicas, bool counter,
              Algorithm algorithm)
      : labels_(std::move(l)),
        replicas_(std::move(replicas)),
        counter_(counter),
        algorithm_(algorithm) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    if (replicas_.size() == 1) return replicas_[0]->Iterator();
    if (algorithm_ == Algorithm::kChain) {
      std::vector<std::unique_ptr<storage::SampleIterator>> its;
      for (const auto& r : replicas_) its.push_back(r->Iterator());
      return storage::ChainSampleIterators(std::move(its));
    }
    std::unique_ptr<Adjustable> it = std::make_unique<Replica>(replicas_[0]->Iterator());
    for (size_t i = 1; i < replicas_.size(); i++) {
      it = std::make_unique<PenaltyIterator>(
          std::move(it), std::make_unique<Replica>(replicas_[i]->Iterator()), counter_);
    }
    return std::make_unique<DedupIterator>(std::move(it));
  }
  bool counts_samples() const override { return replicas_[0]->counts_samples(); }

 private:
  Labels labels_;
  std::vector<std::shared_ptr<const storage::Series>> replicas_;
  bool counter_;
  Algorithm algorithm_;
};

// A series under other labels (a replica with its replica labels removed).
class Relabeled : public storage::Series {
 public:
  Relabeled(Labels l, std::shared_ptr<const storage::Series> in)
      : labels_(std::move(l)), in_(std::move(in)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override { return in_->Iterator(); }
  bool counts_samples() const override { return in_->counts_samples(); }

 private:
  Labels labels_;
  std::shared_ptr<const storage::Series> in_;
};

// Reads series sorted by labels already without replica labels, one replica after another, and
// makes each run of equal labels one deduplicated series; only one run is held at a time.
class GroupingSet : public storage::SeriesSet {
 public:
  GroupingSet(std::unique_ptr<storage::SeriesSet> in, bool counter, Algorithm algorithm)
      : in_(std::move(in)), counter_(counter), algorithm_(algorithm) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      Advance();
    }
    if (next_ == nullptr) return false;
    std::vector<std::shared_ptr<const storage::Series>> replicas{std::move(next_)};
    while (Advance()) {
      const int c = CompareLabels(next_->labels(), replicas[0]->labels());
      if (c > 0) break;
      if (c < 0) {
        status_ = Status::Internal(
            "deduplication: series " + next_->labels().String() + " came after " +
            replicas[0]->labels().String() +
            ": an endpoint did not sort its series without the replica labels as asked");
        next_ = nullptr;
        return false;
      }
      replicas.push_back(std::move(next_));
    }
    if (replicas.size() == 1) {
      cur_ = std::move(replicas[0]);
    } else {
      Labels l = replicas[0]->labels();
      cur_ = std::make_shared<DedupSeries>(std::move(l), std::move(replicas), counter_, algorithm_);
    }
    return true;
  }
  std::shared_ptr<const storage::Series> At() const override { return cur_; }
  Status status() const override { return status_.ok() ? in_->status() : status_; }
  std::vector<std::string> Warnings() const override { return in_->Warnings(); }
  void Cancel() override { in_->Cancel(); }

 private:
  bool Advance() {
    next_ = in_->Next() ? in_->At() : nullptr;
    return next_ != nullptr;
  }

  std::unique_ptr<storage::SeriesSet> in_;
  const bool counter_;
  const Algorithm algorithm_;
  bool started_ = false;
  std::shared_ptr<const storage::Series> next_, cur_;
  Status status_;
};

class DedupQuerier : public storage::Querier {
 public:
  DedupQuerier(std::shared_ptr<storage::Querier> inner, std::vector<std::string> replica_labels,
               Algorithm algorithm)
      : inner_(std::move(inner)),
        replica_labels_(std::move(replica_labels)),
        algorithm_(algorithm) {}
  std::unique_ptr<storage::SeriesSet> Select(const storage::SelectHints& hints,
                                             const Matchers& matchers) override {
    return DedupSeriesSet(inner_->Select(hints, matchers), replica_labels_, hints.func, algorithm_);
  }

 private:
  std::shared_ptr<storage::Querier> inner_;
  std::vector<std::string> replica_labels_;
  Algorithm algorithm_;
};

}  // namespace

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "penalty") return Algorithm::kPenalty;
  if (name == "chain") return Algorithm::kChain;
  return Status::InvalidArgument("--deduplication.func: \"" + std::string(name) +
                                 "\" is not a deduplication algorithm (penalty or chain)");
}

std::unique_ptr<storage::SeriesSet> DedupSeriesSet(std::unique_ptr<storage::SeriesSet> in,
                                                   const std::vector<std::string>& replica_labels,
                                                   std::string_view func, Algorithm algorithm) {
  std::vector<std::shared_ptr<const storage::Series>> all;
  while (in->Next()) {
    auto s = in->At();
    Labels key = s->labels();
    for (const auto& r : replica_labels) key = key.Without(r);
    all.push_back(std::make_shared<Relabeled>(std::move(key), std::move(s)));
  }
  if (!in->status().ok()) return storage::ErrorSeriesSet(in->status());
  // Stable: replicas keep their input (label) order inside a group.
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a->labels() < b->labels(); });
  return DedupSortedSeriesSet(storage::VectorSeriesSet(std::move(all), in->Warnings()), func,
                              algorithm);
}

std::unique_ptr<storage::SeriesSet> DedupSortedSeriesSet(std::unique_ptr<storage::SeriesSet> in,
                                                         std::string_view func,
                                                         Algorithm algorithm) {
  return std::make_unique<GroupingSet>(std::move(in), IsCounterFunction(func), algorithm);
}

std::unique_ptr<storage::Querier> NewDedupQuerier(std::shared_ptr<storage::Querier> inner,
                                                  std::vector<std::string> replica_labels,
                                                  Algorithm algorithm) {
  return std::make_unique<DedupQuerier>(std::move(inner), std::move(replica_labels), algorithm);
}

}  // namespace strata::dedup
