// Query-side iterators over downsampled data, as Thanos's querier builds them: a counter series
// rebuilt from counter aggregates (or raw counter chunks) with resets removed, for rate() and
// increase(); the average of windows from their sum and count aggregates. Both seek by stepping
// forward, so no counter reset between two samples is ever skipped.
// Thread-safety: single-threaded, like every SampleIterator.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "storage/series.h"

namespace strata::downsample {

// Samples of one XOR chunk; data must outlive the iterator.
std::unique_ptr<storage::SampleIterator> NewXorSampleIterator(std::string_view data);

// Walks the chunks in order and yields a monotonic counter: the first value as is, then the
// running total of increases, a drop counting as a reset (the new value is the increase). A
// sample at the timestamp of the previous one only records the true last raw value of its chunk
// (aggregate counter chunks end that way), so a reset between chunks is found. Samples that go
// back in time (overlapping chunks) and NaNs (stale markers) are skipped. Thanos hides resets
// from PromQL this way too, so resets() cannot see them.
class CounterResetsIterator : public storage::SampleIterator {
 public:
  explicit CounterResetsIterator(std::vector<std::unique_ptr<storage::SampleIterator>> chunks);
  bool Next() override;
  bool Seek(int64_t t) override;
  int64_t t() const override { return t_; }
  double v() const override { return total_; }
  Status status() const override { return status_; }
  // The last raw value seen: what the original series ended with.
  double last_raw() const { return last_raw_; }

 private:
  std::vector<std::unique_ptr<storage::SampleIterator>> chunks_;
  size_t i_ = 0;
  bool started_ = false, done_ = false;
  int64_t t_ = 0;
  double total_ = 0, last_raw_ = 0;
  Status status_;
};

// sum / count per window; the two must have the same timestamps (else an error).
class AverageIterator : public storage::SampleIterator {
 public:
  AverageIterator(std::unique_ptr<storage::SampleIterator> count,
                  std::unique_ptr<storage::SampleIterator> sum)
      : count_(std::move(count)), sum_(std::move(sum)) {}
  bool Next() override;
  bool Seek(int64_t t) override;
  int64_t t() const override { return t_; }
  double v() const override { return v_; }
  Status status() const override;

 private:
  std::unique_ptr<storage::SampleIterator> count_, sum_;
  bool started_ = false, done_ = false;
  int64_t t_ = 0;
  double v_ = 0;
  Status status_;
};

}  // namespace strata::downsample
