// Aggregation operators. Input series are assigned to their groups once per query; values are
// then accumulated series by series over all steps.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "base/go_format.h"
#include "promql/eval.h"
#include "promql/quantile.h"

namespace strata::promql {
namespace {

// The labels of the group a series belongs to: only the `by` labels, or all but the `without`
// labels and the metric name.
Labels GroupLabels(const Labels& l, const AggregateExpr& a) {
  std::vector<Label> out;
  for (const auto& lb : l) {
    bool listed = std::find(a.grouping.begin(), a.grouping.end(), lb.name) != a.grouping.end();
    if (a.without ? (!listed && lb.name != "__name__") : listed) out.push_back(lb);
  }
  return Labels::FromSorted(std::move(out));
}

struct Groups {
  std::vector<Labels> labels;                // per group, in order of first appearance
  std::vector<std::vector<size_t>> members;  // input series indices per group
};

Groups Assign(const StepVector& in, const AggregateExpr& a) {
  Groups g;
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash;
  for (size_t s = 0; s < in.size(); s++) {
    Labels key = GroupLabels(in[s].labels, a);
    auto& cands = by_hash[key.Hash()];
    size_t found = SIZE_MAX;
    for (size_t c : cands) {
      if (g.labels[c] == key) found = c;
    }
    if (found == SIZE_MAX) {
      found = g.labels.size();
      cands.push_back(found);
      g.labels.push_back(std::move(key));
      g.members.emplace_back();
    }
    g.members[found].push_back(s);
  }
  return g;
}

// sum, avg, count, min, max, group, stddev, stdvar.
StepVector Accumulate(const StepVector& in, const Groups& groups, AggOp op, size_t n) {
  StepVector out;
  std::vector<double> value(n), mean(n), comp(n), count(n);
  for (size_t gi = 0; gi < groups.labels.size(); gi++) {
    std::fill(value.begin(), value.end(), 0);
    std::fill(mean.begin(), mean.end(), 0);
    std::fill(comp.begin(), comp.end(), 0);
    std::fill(count.begin(), count.end(), 0);
    for (size_t si : groups.members[gi]) {
      const StepSeries& s = in[si];
      for (size_t i = 0; i < n; i++) {
        if (!s.has[i]) continue;
        const double x = s.v[i];
        const double c = ++count[i];
        if (c == 1) {
          value[i] = op == AggOp::kStddev || op == AggOp::kStdvar ? 0 : x;
          mean[i] = x;
          continue;
        }
        switch (op) {
          case AggOp::kSum:
            KahanAdd(x, &value[i], &comp[i]);
            break;
          case AggOp::kAvg:
            mean[i] = IncrementalMean(mean[i], x, c);
            break;
          case AggOp::kMin:
            if (value[i] > x || std::isnan(value[i])) value[i] = x;
            break;
          case AggOp::kMax:
            if (value[i] < x || std::isnan(value[i])) value[i] = x;
            break;
          case AggOp::kStddev:
          case AggOp::kStdvar: {
            const double delta = x - mean[i];
            mean[i] += delta / c;
            value[i] += delta * (x - mean[i]);
            break;
          }
          default:
            break;
        }
      }
    }
    StepSeries res;
    res.labels = groups.labels[gi];
    res.v.assign(n, 0);
    res.has.assign(n, 0);
    for (size_t i = 0; i < n; i++) {
      if (count[i] == 0) continue;
      res.has[i] = 1;
      switch (op) {
        case AggOp::kSum:
          res.v[i] = value[i] + comp[i];
          break;
        case AggOp::kAvg:
          res.v[i] = mean[i];
          break;
        case AggOp::kCount:
          res.v[i] = count[i];
          break;
        case AggOp::kGroup:
          res.v[i] = 1;
          break;
        case AggOp::kStdvar:
          res.v[i] = value[i] / count[i];
          break;
        case AggOp::kStddev:
          res.v[i] = std::sqrt(value[i] / count[i]);
          break;
        default:
          res.v[i] = value[i];
          break;
      }
    }
    out.push_back(std::move(res));
  }
  return out;
}

StepVector Quantiles(const StepVector& in, const Groups& groups, const std::vector<double>& q,
                     size_t n) {
  StepVector out;
  std::vector<double> vals;
  for (size_t gi = 0; gi < groups.labels.size(); gi++) {
    StepSeries res;
    res.labels = groups.labels[gi];
    res.v.assign(n, 0);
    res.has.assign(n, 0);
    for (size_t i = 0; i < n; i++) {
      vals.clear();
      for (size_t si : groups.members[gi]) {
        if (in[si].has[i]) vals.push_back(in[si].v[i]);
      }
      if (vals.empty()) continue;
      res.v[i] = Quantile(q[i], vals);
      res.has[i] = 1;
    }
    out.push_back(std::move(res));
  }
  return out;
}

// topk/bottomk keep the selected input series with their own labels; at each step a group
// keeps its k largest (smallest) values, the earlier series winning ties, NaN losing to numbers.
Result<StepVector> SelectK(StepVector in, const Groups& groups, double param, bool top, size_t n,
                           std::vector<size_t>* instant_order) {
  if (!(param > -9.3e18 && param < 9.3e18)) {
    return Status::InvalidArgument("Scalar value " + GoFormatFloat(param) + " overflows int64");
  }
  int64_t k = static_cast<int64_t>(param);
  if (k > static_cast<int64_t>(in.size())) k = static_cast<int64_t>(in.size());
  std::vector<uint8_t> keep_any(in.size(), 0);
  std::vector<std::vector<uint8_t>> selected(in.size(), std::vector<uint8_t>(n, 0));
  std::vector<size_t> cand;
  auto better = [&](size_t a, size_t b, size_t i) {
    const double x = in[a].v[i], y = in[b].v[i];
    if (std::isnan(x) != std::isnan(y)) return !std::isnan(x);
    if (x != y && !std::isnan(x)) return top ? x > y : x < y;
    return a < b;
  };
  for (size_t gi = 0; gi < groups.labels.size() && k >= 1; gi++) {
    for (size_t i = 0; i < n; i++) {
      cand.clear();
      for (size_t si : groups.members[gi]) {
        if (in[si].has[i]) cand.push_back(si);
      }
      const size_t take = std::min<size_t>(cand.size(), static_cast<size_t>(k));
      std::stable_sort(cand.begin(), cand.end(),
                       [&](size_t a, size_t b) { return better(a, b, i); });
      for (size_t c = 0; c < take; c++) {
        selected[cand[c]][i] = 1;
        keep_any[cand[c]] = 1;
        if (instant_order != nullptr) instant_order->push_back(cand[c]);
      }
    }
  }
  StepVector out;
  std::vector<size_t> remap(in.size(), SIZE_MAX);
  for (size_t si = 0; si < in.size(); si++) {
    if (!keep_any[si]) continue;
    remap[si] = out.size();
    in[si].has = std::move(selected[si]);
    out.push_back(std::move(in[si]));
  }
  if (instant_order != nullptr) {
    for (size_t& o : *instant_order) o = remap[o];
  }
  return out;
}

Result<StepVector> CountValues(const StepVector& in, const AggregateExpr& a,
                               const std::string& label, size_t n) {
  if (!IsValidLabelName(label))
    return Status::InvalidArgument("invalid label name \"" + label + "\"");
  AggregateExpr by_value(a.op, a.pos);  // grouping plus the value label
  by_value.without = a.without;
  by_value.grouping = a.grouping;
  if (!a.without) by_value.grouping.push_back(label);
  StepVector out;
  std::unordered_map<uint64_t, std::vector<size_t>> index;
  for (const auto& s : in) {
    for (size_t i = 0; i < n; i++) {
      if (!s.has[i]) continue;
      Labels key = GroupLabels(s.labels.With(label, GoFormatFloatF(s.v[i])), by_value);
      auto& cands = index[key.Hash()];
      size_t found = SIZE_MAX;
      for (size_t c : cands) {
        if (out[c].labels == key) found = c;
      }
      if (found == SIZE_MAX) {
        found = out.size();
        cands.push_back(found);
        StepSeries res;
        res.labels = std::move(key);
        res.v.assign(n, 0);
        res.has.assign(n, 0);
        out.push_back(std::move(res));
      }
      out[found].v[i] += 1;
      out[found].has[i] = 1;
    }
  }
  return out;
}

}  // namespace

Result<Value> EvalAggregate(Evaluator& ev, const AggregateExpr& a, const Grid& g) {
  Value param;
  if (a.param) {
    STRATA_ASSIGN_OR_RETURN(param, ev.Eval(*a.param, g));
  }
  STRATA_ASSIGN_OR_RETURN(Value in, ev.Eval(*a.expr, g));
  Value out{ValueType::kVector};
  if (a.op == AggOp::kCountValues) {
    STRATA_ASSIGN_OR_RETURN(out.vec, CountValues(in.vec, a, param.str, g.n));
    return out;
  }
  Groups groups = Assign(in.vec, a);
  switch (a.op) {
    case AggOp::kTopk:
    case AggOp::kBottomk: {
      std::vector<size_t> order;
      // Prometheus 2.53 takes k from the first step of the parameter.
      STRATA_ASSIGN_OR_RETURN(
          out.vec, SelectK(std::move(in.vec), groups, param.scalar[0], a.op == AggOp::kTopk, g.n,
                           g.n == 1 ? &order : nullptr));
      if (g.n == 1) {  // an instant query lists each group's selection in value order
        StepVector ordered;
        for (size_t o : order) ordered.push_back(out.vec[o]);
        out.vec = std::move(ordered);
      }
      return out;
    }
    case AggOp::kQuantile:
      if (std::isnan(param.scalar[0]) || param.scalar[0] < 0 || param.scalar[0] > 1) {
        ev.warnings().push_back("PromQL warning: quantile value should be between 0 and 1, got " +
                                GoFormatFloat(param.scalar[0]));
      }
      out.vec = Quantiles(in.vec, groups, std::vector<double>(g.n, param.scalar[0]), g.n);
      break;
    default:
      out.vec = Accumulate(in.vec, groups, a.op, g.n);
      break;
  }
  std::erase_if(out.vec, [](const StepSeries& s) { return s.Count() == 0; });
  return out;
}

}  // namespace strata::promql
