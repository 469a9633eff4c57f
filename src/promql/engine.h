// The PromQL engine: evaluates instant and range queries over any storage::Querier with the
// semantics of Prometheus 2.53 for float samples.
//
// Evaluation is column-wise: every node produces, for each of its series, the values at all
// steps of the query at once (a dense array per series), so selectors decode each series once,
// range functions slide a window over one series' samples, and aggregations group series once
// per query instead of once per step.
// Thread-safety: an Engine is immutable and may run many queries concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "promql/parser.h"
#include "promql/value.h"
#include "storage/series.h"

namespace strata::promql {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Most samples (loaded and computed) held at once by one query; Prometheus's --query.max-samples.
  int64_t max_samples = 50'000'000;
  std::chrono::milliseconds timeout{2 * 60 * 1000};
  // Step of subqueries written without one, e.g. foo[5m:] (Prometheus's global evaluation
  // interval).
  int64_t default_subquery_step_ms = 60 * 1000;
  ParseOptions parse;
};

// Set by the caller to stop a running query (e.g. when the HTTP client disconnects).
using CancelFlag = std::atomic<bool>;

class Engine {
 public:
  explicit Engine(EngineOptions opts = {}) : opts_(opts) {}

  // Errors: InvalidArgument for parse and evaluation errors (Prometheus's bad_data and
  // execution), DeadlineExceeded on timeout, Cancelled, ResourceExhausted when max_samples is
  // exceeded, and the storage's own errors.
  Result<QueryResult> InstantQuery(storage::Querier& q, std::string_view query, int64_t t_ms,
                                   const CancelFlag* cancel = nullptr) const;
  Result<QueryResult> RangeQuery(storage::Querier& q, std::string_view query, int64_t start_ms,
                                 int64_t end_ms, int64_t step_ms,
                                 const CancelFlag* cancel = nullptr) const;

  // Evaluates an already parsed expression (consumed: preprocessing rewrites it).
  Result<QueryResult> Exec(storage::Querier& q, ExprPtr expr, int64_t start_ms, int64_t end_ms,
                           int64_t step_ms, bool instant, const CancelFlag* cancel = nullptr) const;

  const EngineOptions& options() const { return opts_; }

 private:
  EngineOptions opts_;
};

}  // namespace strata::promql
