#include "downsample/iterators.h"

#include <cmath>

#include "tsdb/xor_chunk.h"

namespace strata::downsample {
namespace {

class XorSampleIterator : public storage::SampleIterator {
 public:
  explicit XorSampleIterator(std::string_view data) : it_(data) {}
  bool Next() override { return it_.Next(); }
  bool Seek(int64_t t) override { return it_.Seek(t); }
  int64_t t() const override { return it_.t(); }
  double v() const override { return it_.v(); }
  Status status() const override { return it_.status(); }

 private:
  tsdb::XorIterator it_;
};

// Seeks by calling Next(), so no sample on the way (a counter reset) is skipped; positioned:
// the iterator is at a sample already.
bool StepTo(storage::SampleIterator& it, bool positioned, int64_t t) {
  if (positioned && it.t() >= t) return true;
  while (it.Next())
    if (it.t() >= t) return true;
  return false;
}

}  // namespace

std::unique_ptr<storage::SampleIterator> NewXorSampleIterator(std::string_view data) {
  return std::make_unique<XorSampleIterator>(data);
}

CounterResetsIterator::CounterResetsIterator(
    std::vector<std::unique_ptr<storage::SampleIterator>> chunks)
    : chunks_(std::move(chunks)) {}

bool CounterResetsIterator::Next() {
  while (!done_ && i_ < chunks_.size()) {
    storage::SampleIterator& it = *chunks_[i_];
    if (!it.Next()) {
      if (Status st = it.status(); !st.ok()) {
        status_ = st;
        break;
      }
      i_++;
      continue;
    }
    const int64_t t = it.t();
    const double v = it.v();
    if (std::isnan(v)) continue;
    if (!started_) {
      started_ = true;
      t_ = t;
      total_ = last_raw_ = v;
      return true;
    }
    if (t > t_) {
      total_ += v >= last_raw_ ? v - last_raw_ : v;
      t_ = t;
      last_raw_ = v;
      return true;
    }
    if (t == t_) last_raw_ = v;  // the chunk's true last value
  }
  done_ = true;
  return false;
}

bool CounterResetsIterator::Seek(int64_t t) { return !done_ && StepTo(*this, started_, t); }

bool AverageIterator::Next() {
  if (done_) return false;
  const bool c = count_->Next(), s = sum_->Next();
  if (c != s) {
    status_ = Status::Corruption("sum and count aggregates have different lengths");
  } else if (c && count_->t() != sum_->t()) {
    status_ =
        Status::Corruption("sum and count aggregates at different timestamps (" +
                           std::to_string(sum_->t()) + " and " + std::to_string(count_->t()) + ")");
  } else if (c) {
    started_ = true;
    t_ = count_->t();
    v_ = sum_->v() / count_->v();
    return true;
  }
  done_ = true;
  return false;
}

bool AverageIterator::Seek(int64_t t) { return !done_ && StepTo(*this, started_, t); }

Status AverageIterator::status() const {
  if (Status st = count_->status(); !st.ok()) return st;
  if (Status st = sum_->status(); !st.ok()) return st;
  return status_;
}

}  // namespace strata::downsample
