#include "promql/eval.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "base/timestamp.h"
#include "promql/functions.h"

namespace strata::promql {
namespace {

void ResolveAt(AtModifier& at, int64_t start, int64_t end) {
  if (at.kind == AtModifier::Kind::kStart) at = {AtModifier::Kind::kTimestamp, start};
  if (at.kind == AtModifier::Kind::kEnd) at = {AtModifier::Kind::kTimestamp, end};
}

ExprPtr WrapInvariant(ExprPtr e) { return std::make_unique<StepInvariantExpr>(std::move(e)); }

// Resolves @ start()/end() and wraps maximal step-invariant subtrees, as Prometheus's
// PreprocessExpr does; returns whether `e` itself is step invariant.
bool Preprocess(ExprPtr& e, int64_t start, int64_t end) {
  switch (e->kind) {
    case Expr::Kind::kVectorSelector: {
      auto& vs = static_cast<VectorSelector&>(*e);
      ResolveAt(vs.at, start, end);
      return vs.at.kind != AtModifier::Kind::kNone;
    }
    case Expr::Kind::kMatrixSelector:
      return Preprocess(static_cast<MatrixSelector&>(*e).selector, start, end);
    case Expr::Kind::kAggregate: {
      // The parameter is evaluated on its own; only the aggregated expression decides.
      auto& a = static_cast<AggregateExpr&>(*e);
      if (a.param && Preprocess(a.param, start, end)) a.param = WrapInvariant(std::move(a.param));
      return Preprocess(a.expr, start, end);
    }
    case Expr::Kind::kBinary: {
      auto& b = static_cast<BinaryExpr&>(*e);
      bool l = Preprocess(b.lhs, start, end), r = Preprocess(b.rhs, start, end);
      if (l && r) return true;
      if (l) b.lhs = WrapInvariant(std::move(b.lhs));
      if (r) b.rhs = WrapInvariant(std::move(b.rhs));
      return false;
    }
    case Expr::Kind::kCall: {
      auto& c = static_cast<Call&>(*e);
      bool all = !IsTimeDependentFunction(c.func->name);
      std::vector<bool> inv(c.args.size());
      for (size_t i = 0; i < c.args.size(); i++) {
        inv[i] = Preprocess(c.args[i], start, end);
        all = all && inv[i];
      }
      if (all) return true;
      for (size_t i = 0; i < c.args.size(); i++) {
        if (inv[i]) c.args[i] = WrapInvariant(std::move(c.args[i]));
      }
      return false;
    }
    case Expr::Kind::kSubquery: {
      auto& sq = static_cast<SubqueryExpr&>(*e);
      if (Preprocess(sq.expr, start, end)) sq.expr = WrapInvariant(std::move(sq.expr));
      ResolveAt(sq.at, start, end);
      return sq.at.kind != AtModifier::Kind::kNone;
    }
    case Expr::Kind::kParen:
      return Preprocess(static_cast<ParenExpr&>(*e).expr, start, end);
    case Expr::Kind::kUnary:
      return Preprocess(static_cast<UnaryExpr&>(*e).expr, start, end);
    case Expr::Kind::kNumber:
    case Expr::Kind::kString:
      return true;
    case Expr::Kind::kStepInvariant:
      return true;
  }
  return false;
}

}  // namespace

size_t StepSeries::Count() const {
  size_t n = 0;
  for (uint8_t h : has) n += h;
  return n;
}

Status MergeSameLabels(StepVector& vec) {
  if (vec.size() < 2) return Status::OK();
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash;
  by_hash.reserve(vec.size());
  bool dup = false;
  for (size_t i = 0; i < vec.size(); i++) {
    auto& slot = by_hash[vec[i].labels.Hash()];
    for (size_t j : slot) dup = dup || vec[j].labels == vec[i].labels;
    slot.push_back(i);
  }
  if (!dup) return Status::OK();
  StepVector out;
  std::vector<int> target(vec.size(), -1);
  for (size_t i = 0; i < vec.size(); i++) {
    int into = -1;
    for (size_t j : by_hash[vec[i].labels.Hash()]) {
      if (j >= i) break;
      if (out[target[j]].labels == vec[i].labels) {  // vec[j] itself was moved into out
        into = target[j];
        break;
      }
    }
    if (into < 0) {
      target[i] = static_cast<int>(out.size());
      out.push_back(std::move(vec[i]));
      continue;
    }
    target[i] = into;
    StepSeries& dst = out[into];
    for (size_t s = 0; s < dst.has.size(); s++) {
      if (!vec[i].has[s]) continue;
      if (dst.has[s])
        return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
      dst.has[s] = 1;
      dst.v[s] = vec[i].v[s];
    }
  }
  vec = std::move(out);
  return Status::OK();
}

void DropMetricNames(StepVector& vec) {
  for (auto& s : vec) {
    if (s.labels.Has("__name__")) s.labels = s.labels.Without("__name__");
  }
}

Evaluator::Evaluator(const EngineOptions& opts, storage::Querier& q, const CancelFlag* cancel,
                     int64_t, int64_t)
    : opts_(opts),
      querier_(q),
      cancel_(cancel),
      deadline_(std::chrono::steady_clock::now() + opts.timeout),
      deadline_ms_(NowMs() + static_cast<int64_t>(opts.timeout.count())) {}

Status Evaluator::CheckInterrupt() {
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
    return Status(StatusCode::kCancelled, "query was canceled");
  }
  if ((++interrupt_counter_ & 63) == 0 && std::chrono::steady_clock::now() > deadline_) {
    return Status(StatusCode::kDeadlineExceeded, "query timed out in expression evaluation");
  }
  return Status::OK();
}

Status Evaluator::Reserve(int64_t samples) {
  samples_ += samples;
  if (samples_ > opts_.max_samples) {
    return Status(StatusCode::kResourceExhausted,
                  "query processing would load too many samples into memory in query execution");
  }
  return Status::OK();
}

Result<Value> Evaluator::Eval(const Expr& e, const Grid& g) {
  STRATA_RETURN_IF_ERROR(CheckInterrupt());
  switch (e.kind) {
    case Expr::Kind::kNumber: {
      Value v{ValueType::kScalar};
      v.scalar.assign(g.n, static_cast<const NumberLiteral&>(e).value);
      return v;
    }
    case Expr::Kind::kString: {
      Value v{ValueType::kString};
      v.str = static_cast<const StringLiteral&>(e).value;
      return v;
    }
    case Expr::Kind::kParen:
      return Eval(*static_cast<const ParenExpr&>(e).expr, g);
    case Expr::Kind::kStepInvariant:
      return EvalStepInvariant(static_cast<const StepInvariantExpr&>(e), g);
    case Expr::Kind::kVectorSelector:
      return EvalSelector(static_cast<const VectorSelector&>(e), g, false);
    case Expr::Kind::kUnary:
      return EvalUnary(static_cast<const UnaryExpr&>(e), g);
    case Expr::Kind::kBinary:
      return EvalBinary(*this, static_cast<const BinaryExpr&>(e), g);
    case Expr::Kind::kAggregate:
      return EvalAggregate(*this, static_cast<const AggregateExpr&>(e), g);
    case Expr::Kind::kCall:
      return CallFunction(*this, static_cast<const Call&>(e), g);
    case Expr::Kind::kMatrixSelector:
    case Expr::Kind::kSubquery:
      return Status::InvalidArgument("range vector cannot be evaluated as an instant value: " +
                                     e.String());
  }
  return Status::Internal("unknown expression kind");
}

Result<Value> Evaluator::EvalStepInvariant(const StepInvariantExpr& e, const Grid& g) {
  const Expr* inner = Unwrap(e.expr.get());
  if (inner->kind == Expr::Kind::kNumber || inner->kind == Expr::Kind::kString || g.n == 1)
    return Eval(*e.expr, g);
  Grid once{g.start, g.start, g.step, 1};
  STRATA_ASSIGN_OR_RETURN(Value v, Eval(*e.expr, once));
  if (v.type == ValueType::kScalar) {
    v.scalar.assign(g.n, v.scalar[0]);
    return v;
  }
  if (v.type == ValueType::kVector) {
    STRATA_RETURN_IF_ERROR(Reserve(static_cast<int64_t>(v.vec.size()) * static_cast<int64_t>(g.n)));
    for (auto& s : v.vec) {
      s.v.assign(g.n, s.v[0]);
      s.has.assign(g.n, s.has[0]);
    }
  }
  return v;
}

Result<Value> Evaluator::EvalUnary(const UnaryExpr& u, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value v, Eval(*u.expr, g));
  if (!u.negate) return v;
  if (v.type == ValueType::kScalar) {
    for (double& x : v.scalar) x = -x;
    return v;
  }
  for (auto& s : v.vec) {
    for (double& x : s.v) x = -x;
  }
  DropMetricNames(v.vec);
  STRATA_RETURN_IF_ERROR(MergeSameLabels(v.vec));
  return v;
}

Status Evaluator::StreamSeries(const VectorSelector& vs, const storage::SelectHints& hints,
                               bool drop_stale, const RangeSeriesFn& fn) {
  storage::SelectHints with_deadline = hints;
  with_deadline.deadline_ms = deadline_ms_;
  auto set = querier_.Select(with_deadline, vs.matchers);
  RangeSeries rs;
  while (set->Next()) {
    STRATA_RETURN_IF_ERROR(CheckInterrupt());
    auto series = set->At();
    rs.labels = series->labels();
    rs.counts = series->counts_samples();
    rs.t.clear();
    rs.v.clear();
    auto it = series->Iterator();
    STRATA_RETURN_IF_ERROR(it->AppendSamples(hints.start, hints.end, &rs.t, &rs.v));
    series_read_++;
    samples_read_ += static_cast<int64_t>(rs.t.size());
    if (drop_stale) {
      size_t kept = 0;
      for (size_t i = 0; i < rs.t.size(); i++) {
        if (IsStaleNaN(rs.v[i])) continue;
        rs.t[kept] = rs.t[i];
        rs.v[kept++] = rs.v[i];
      }
      rs.t.resize(kept);
      rs.v.resize(kept);
    }
    const auto loaded = static_cast<int64_t>(rs.t.size());
    STRATA_RETURN_IF_ERROR(Reserve(loaded));
    Status st = fn(rs);
    Release(loaded);
    STRATA_RETURN_IF_ERROR(st);
  }
  return set->status();
}

Result<Value> Evaluator::EvalSelector(const VectorSelector& vs, const Grid& g, bool timestamps) {
  const bool at = vs.at.kind == AtModifier::Kind::kTimestamp;
  auto ref = [&](size_t i) { return (at ? vs.at.timestamp_ms : g.At(i)) - vs.offset_ms; };
  storage::SelectHints hints;
  hints.start = ref(0) - opts_.lookback_delta_ms;
  hints.end = ref(g.n - 1);
  hints.step = g.n > 1 ? g.step : 0;
  Value out{ValueType::kVector};
  STRATA_RETURN_IF_ERROR(StreamSeries(vs, hints, false, [&](RangeSeries& rs) -> Status {
    StepSeries s;
    s.v.assign(g.n, 0);
    s.has.assign(g.n, 0);
    size_t j = 0, count = 0;
    for (size_t i = 0; i < g.n; i++) {
      const int64_t t = ref(i);
      while (j < rs.t.size() && rs.t[j] <= t) j++;
      if (j == 0) continue;
      const size_t k = j - 1;
      if (rs.t[k] < t - opts_.lookback_delta_ms || IsStaleNaN(rs.v[k])) continue;
      s.v[i] = timestamps ? static_cast<double>(rs.t[k]) / 1000.0 : rs.v[k];
      s.has[i] = 1;
      count++;
    }
    if (count == 0) return Status::OK();
    s.labels = std::move(rs.labels);
    out.vec.push_back(std::move(s));
    return Reserve(static_cast<int64_t>(count));
  }));
  return out;
}

Status Evaluator::EvalSubquery(const SubqueryExpr& sq, const Grid& g, RangeWindows* windows,
                               const RangeSeriesFn& fn) {
  const bool at = sq.at.kind == AtModifier::Kind::kTimestamp;
  const int64_t first = (at ? sq.at.timestamp_ms : g.start) - sq.offset_ms;
  const int64_t last = (at ? sq.at.timestamp_ms : g.end) - sq.offset_ms;
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : opts_.default_subquery_step_ms;
  // The first step-aligned timestamp at or after the start of the first window (Go's truncating
  // division, as Prometheus computes it).
  int64_t inner_start = step * ((first - sq.range_ms) / step);
  if (inner_start < first - sq.range_ms) inner_start += step;
  windows->range = sq.range_ms;
  windows->window_end.resize(g.n);
  for (size_t i = 0; i < g.n; i++)
    windows->window_end[i] = (at ? sq.at.timestamp_ms : g.At(i)) - sq.offset_ms;
  if (inner_start > last) return Status::OK();
  // Every step holds a value per series, so more steps than max_samples can never succeed.
  if ((last - inner_start) / step >= opts_.max_samples) {
    return Status(StatusCode::kResourceExhausted,
                  "query processing would load too many samples into memory in query execution");
  }
  Grid inner = Grid::Make(inner_start, last, step);
  inner.end = inner.At(inner.n - 1);
  STRATA_ASSIGN_OR_RETURN(Value v, Eval(*sq.expr, inner));
  RangeSeries rs;
  for (auto& s : v.vec) {
    rs.labels = std::move(s.labels);
    rs.t.clear();
    rs.v.clear();
    for (size_t i = 0; i < inner.n; i++) {
      if (!s.has[i]) continue;
      rs.t.push_back(inner.At(i));
      rs.v.push_back(s.v[i]);
    }
    Release(static_cast<int64_t>(rs.t.size()));  // the inner result's points move into rs
    STRATA_RETURN_IF_ERROR(fn(rs));
    StepSeries().v.swap(s.v);
  }
  return Status::OK();
}

Status Evaluator::EvalRange(const Expr& e, const Grid& g, std::string_view func,
                            RangeWindows* windows, const RangeSeriesFn& fn) {
  const Expr* u = Unwrap(&e);
  if (u->kind == Expr::Kind::kSubquery)
    return EvalSubquery(static_cast<const SubqueryExpr&>(*u), g, windows, fn);
  if (u->kind != Expr::Kind::kMatrixSelector)
    return Status::Internal("not a range vector expression: " + e.String());
  const auto& ms = static_cast<const MatrixSelector&>(*u);
  const VectorSelector& vs = ms.vs();
  const bool at = vs.at.kind == AtModifier::Kind::kTimestamp;
  windows->range = ms.range_ms;
  windows->window_end.resize(g.n);
  for (size_t i = 0; i < g.n; i++)
    windows->window_end[i] = (at ? vs.at.timestamp_ms : g.At(i)) - vs.offset_ms;
  // xrate and friends also read the last sample up to an hour before each range.
  const int64_t ext = IsExtendedRangeFunction(func) ? kExtendedLookbackMs : 0;
  storage::SelectHints hints;
  hints.start = windows->window_end.front() - ms.range_ms - ext;
  hints.end = windows->window_end.back();
  hints.range = ms.range_ms + ext;
  hints.func = std::string(func);
  hints.step = g.n > 1 ? g.step : 0;
  return StreamSeries(vs, hints, true, fn);  // stale markers never enter a range window
}

Result<std::vector<SeriesPoints>> Evaluator::EvalMatrixAt(const Expr& e, int64_t t) {
  Grid g{t, t, 1, 1};
  RangeWindows w;
  std::vector<SeriesPoints> out;
  STRATA_RETURN_IF_ERROR(EvalRange(e, g, "", &w, [&](RangeSeries& rs) -> Status {
    const int64_t hi = w.window_end[0], lo = hi - w.range;
    SeriesPoints sp;
    for (size_t i = 0; i < rs.t.size(); i++) {
      if (rs.t[i] >= lo && rs.t[i] <= hi) sp.points.push_back({rs.t[i], rs.v[i]});
    }
    if (sp.points.empty()) return Status::OK();
    sp.labels = std::move(rs.labels);
    out.push_back(std::move(sp));
    return Reserve(static_cast<int64_t>(out.back().points.size()));
  }));
  return out;
}

Result<QueryResult> Engine::InstantQuery(storage::Querier& q, std::string_view query, int64_t t,
                                         const CancelFlag* cancel) const {
  STRATA_ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query, opts_.parse));
  return Exec(q, std::move(e), t, t, 0, true, cancel);
}

Result<QueryResult> Engine::RangeQuery(storage::Querier& q, std::string_view query, int64_t start,
                                       int64_t end, int64_t step, const CancelFlag* cancel) const {
  STRATA_ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query, opts_.parse));
  return Exec(q, std::move(e), start, end, step, false, cancel);
}

Result<QueryResult> Engine::Exec(storage::Querier& q, ExprPtr expr, int64_t start, int64_t end,
                                 int64_t step, bool instant, const CancelFlag* cancel) const {
  if (!instant) {
    if (step <= 0)
      return Status::InvalidArgument(
          "zero or negative query resolution step widths are not accepted");
    if (end < start) return Status::InvalidArgument("end timestamp must not be before start time");
    const ValueType t = expr->Type();
    if (t != ValueType::kScalar && t != ValueType::kVector) {
      return Status::InvalidArgument(std::string("invalid expression type \"") + ValueTypeName(t) +
                                     "\" for range query, must be Scalar or instant Vector");
    }
  }
  if (Preprocess(expr, start, end)) expr = WrapInvariant(std::move(expr));
  Evaluator ev(opts_, q, cancel, start, end);
  QueryResult res;
  res.type = expr->Type();
  if (instant && res.type == ValueType::kMatrix) {
    STRATA_ASSIGN_OR_RETURN(res.matrix, ev.EvalMatrixAt(*expr, start));
    res.warnings = std::move(ev.warnings());
    res.series_read = ev.series_read();
    res.samples_read = ev.samples_read();
    return res;
  }
  if (!instant && (end - start) / step >= opts_.max_samples) {
    return Status(StatusCode::kResourceExhausted,
                  "query processing would load too many samples into memory in query execution");
  }
  Grid g = instant ? Grid{start, start, 1, 1} : Grid::Make(start, end, step);
  STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*expr, g));
  res.warnings = std::move(ev.warnings());
  res.series_read = ev.series_read();
  res.samples_read = ev.samples_read();
  if (instant) {
    res.t = start;
    if (v.type == ValueType::kScalar) {
      res.scalar = v.scalar[0];
    } else if (v.type == ValueType::kString) {
      res.str = v.str;
    } else {
      for (auto& s : v.vec) {
        if (s.has[0]) res.vector.push_back({std::move(s.labels), start, s.v[0]});
      }
    }
    return res;
  }
  // Range queries always answer a matrix sorted by labels; a scalar becomes one unlabelled series.
  res.type = ValueType::kMatrix;
  if (v.type == ValueType::kScalar) {
    SeriesPoints sp;
    for (size_t i = 0; i < g.n; i++) sp.points.push_back({g.At(i), v.scalar[i]});
    res.matrix.push_back(std::move(sp));
    return res;
  }
  for (auto& s : v.vec) {
    SeriesPoints sp;
    sp.labels = std::move(s.labels);
    for (size_t i = 0; i < g.n; i++) {
      if (s.has[i]) sp.points.push_back({g.At(i), s.v[i]});
    }
    if (!sp.points.empty()) res.matrix.push_back(std::move(sp));
  }
  std::sort(res.matrix.begin(), res.matrix.end(),
            [](const SeriesPoints& a, const SeriesPoints& b) { return a.labels < b.labels; });
  return res;
}

}  // namespace strata::promql
