// Internals of the engine shared by its source files: the step grid, column-wise values and
// the evaluator. Not part of the public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "promql/engine.h"

namespace strata::promql {

// The evaluation timestamps: start, start+step, ..., end (absolute ms).
struct Grid {
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;
  size_t n = 1;
  static Grid Make(int64_t start, int64_t end, int64_t step) {
    return {start, end, step, static_cast<size_t>((end - start) / step) + 1};
  }
  int64_t At(size_t i) const { return start + static_cast<int64_t>(i) * step; }
};

// One series of an instant-vector value, at every step of the grid.
struct StepSeries {
  Labels labels;
  std::vector<double> v;     // grid.n values
  std::vector<uint8_t> has;  // 1 where the series has a sample at that step
  size_t Count() const;
};

// An instant-vector value over the grid; series in Prometheus's output order.
using StepVector = std::vector<StepSeries>;

// A range-vector value is streamed one series at a time: for each series its samples (stale
// markers removed), and for each step the window [window_end - range, window_end] (both ends
// inclusive, as in Prometheus 2.x).
struct RangeSeries {
  Labels labels;
  std::vector<int64_t> t;
  std::vector<double> v;
  bool counts = false;  // values are sample counts (storage::Series::counts_samples)
};
struct RangeWindows {
  std::vector<int64_t> window_end;  // per step
  int64_t range = 0;
};
// Called once per series; the RangeSeries is reused between calls.
using RangeSeriesFn = std::function<Status(RangeSeries&)>;

struct Value {
  ValueType type = ValueType::kNone;
  StepVector vec;
  std::vector<double> scalar;  // one per step
  std::string str;
};

inline bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits == 0x7ff0000000000002ull;
}

class Evaluator {
 public:
  Evaluator(const EngineOptions& opts, storage::Querier& q, const CancelFlag* cancel,
            int64_t query_start, int64_t query_end);

  Result<Value> Eval(const Expr& e, const Grid& g);
  // A selector whose values are the timestamps (in seconds) of the samples found (timestamp()).
  Result<Value> EvalSelectorTimestamps(const VectorSelector& vs, const Grid& g) {
    return EvalSelector(vs, g, true);
  }
  // Range-vector expressions (matrix selectors and subqueries): fills *windows, then calls fn
  // for each series, so only one series' raw samples are in memory at a time. `func` (the
  // function applied to the windows) is passed to the storage as a hint.
  Status EvalRange(const Expr& e, const Grid& g, std::string_view func, RangeWindows* windows,
                   const RangeSeriesFn& fn);
  // For an instant query whose result is a range vector: the raw points in the window.
  Result<std::vector<SeriesPoints>> EvalMatrixAt(const Expr& e, int64_t t);

  // Timeout and cancellation; called between series and steps.
  Status CheckInterrupt();
  // Accounts for samples held by the query; fails when over max_samples.
  Status Reserve(int64_t samples);
  void Release(int64_t samples) { samples_ -= samples; }

  const EngineOptions& opts() const { return opts_; }
  int64_t series_read() const { return series_read_; }
  int64_t samples_read() const { return samples_read_; }
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  Result<Value> EvalSelector(const VectorSelector& vs, const Grid& g, bool timestamps);
  Result<Value> EvalStepInvariant(const StepInvariantExpr& e, const Grid& g);
  Result<Value> EvalCall(const Call& c, const Grid& g);
  Result<Value> EvalUnary(const UnaryExpr& u, const Grid& g);
  // Streams the selected series with their samples in [hints.start, hints.end].
  Status StreamSeries(const VectorSelector& vs, const storage::SelectHints& hints, bool drop_stale,
                      const RangeSeriesFn& fn);
  Status EvalSubquery(const SubqueryExpr& sq, const Grid& g, RangeWindows* windows,
                      const RangeSeriesFn& fn);

  const EngineOptions& opts_;
  storage::Querier& querier_;
  const CancelFlag* cancel_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t deadline_ms_;  // the same deadline in unix ms, handed to remote stores
  int64_t samples_ = 0;
  int64_t series_read_ = 0, samples_read_ = 0;
  std::vector<std::string> warnings_;
  int interrupt_counter_ = 0;
};

// Merges series with identical labels into one (they must not have values at the same step:
// that is Prometheus's "vector cannot contain metrics with the same labelset").
Status MergeSameLabels(StepVector& vec);
// Drops __name__ from every series.
void DropMetricNames(StepVector& vec);

// Binary operators (eval_binary.cc).
Result<Value> EvalBinary(Evaluator& ev, const BinaryExpr& b, const Grid& g);
// Aggregations (eval_aggregate.cc).
Result<Value> EvalAggregate(Evaluator& ev, const AggregateExpr& a, const Grid& g);
// Functions (eval_functions.cc); args already evaluated except range vectors.
Result<Value> CallFunction(Evaluator& ev, const Call& c, const Grid& g);
// Thanos's xrate, xincrease and xdelta (eval_xfunctions.cc).
Result<Value> EvalExtendedRange(Evaluator& ev, const Call& c, const Grid& g);

}  // namespace strata::promql
