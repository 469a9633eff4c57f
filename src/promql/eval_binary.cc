// Binary operators: arithmetic, comparisons (filtering or with bool), set operators, with
// Prometheus's vector matching (on/ignoring, group_left/group_right).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "promql/eval.h"

namespace strata::promql {
namespace {

bool DropsMetricName(BinOp op) { return !IsComparison(op) && !IsSetOperator(op); }

// The value of `l op r`, and whether a comparison holds (for arithmetic always true).
inline double Apply(BinOp op, double l, double r, bool* keep) {
  *keep = true;
  switch (op) {
    case BinOp::kAdd:
      return l + r;
    case BinOp::kSub:
      return l - r;
    case BinOp::kMul:
      return l * r;
    case BinOp::kDiv:
      return l / r;
    case BinOp::kPow:
      return std::pow(l, r);
    case BinOp::kMod:
      return std::fmod(l, r);
    case BinOp::kAtan2:
      return std::atan2(l, r);
    case BinOp::kEql:
      *keep = l == r;
      return l;
    case BinOp::kNeq:
      *keep = l != r;
      return l;
    case BinOp::kGtr:
      *keep = l > r;
      return l;
    case BinOp::kLss:
      *keep = l < r;
      return l;
    case BinOp::kGte:
      *keep = l >= r;
      return l;
    case BinOp::kLte:
      *keep = l <= r;
      return l;
    default:
      return 0;
  }
}

// The labels that decide which series match: with on(...) only those; with ignoring(...) all
// but those and the metric name.
Labels MatchLabels(const Labels& l, const VectorMatching& vm) {
  std::vector<Label> out;
  for (const auto& lb : l) {
    bool listed = std::find(vm.labels.begin(), vm.labels.end(), lb.name) != vm.labels.end();
    if (vm.on ? listed : (!listed && lb.name != "__name__")) out.push_back(lb);
  }
  return Labels::FromSorted(std::move(out));
}

std::string Signature(const Labels& l, const VectorMatching& vm) {
  std::string s;
  for (const auto& lb : MatchLabels(l, vm)) {
    s += lb.name;
    s += '\xff';
    s += lb.value;
    s += '\xff';
  }
  return s;
}

// Prometheus's resultMetric: the output labels of a matched pair (many side, one side).
Labels ResultLabels(const Labels& many, const Labels& one, const BinaryExpr& b) {
  const VectorMatching& vm = *b.matching;
  std::vector<Label> out;
  for (const auto& lb : many) {
    if (lb.name == "__name__" && (DropsMetricName(b.op) || b.return_bool)) continue;
    if (vm.card == VectorMatching::Card::kOneToOne) {
      bool listed = std::find(vm.labels.begin(), vm.labels.end(), lb.name) != vm.labels.end();
      if (vm.on != listed) continue;
    }
    out.push_back(lb);
  }
  Labels res = Labels::FromSorted(std::move(out));
  for (const auto& name : vm.include) {
    std::string_view v = one.Get(name);
    res = v.empty() ? res.Without(name) : res.With(name, v);
  }
  if (b.return_bool && res.Has("__name__")) res = res.Without("__name__");
  return res;
}

Value ScalarScalar(const BinaryExpr& b, Value l, const Value& r) {
  for (size_t i = 0; i < l.scalar.size(); i++) {
    bool keep;
    double v = Apply(b.op, l.scalar[i], r.scalar[i], &keep);
    l.scalar[i] = IsComparison(b.op) ? (keep ? 1 : 0) : v;
  }
  return l;
}

Result<Value> VectorScalar(const BinaryExpr& b, Value vec, const std::vector<double>& scalar,
                           bool scalar_left) {
  for (auto& s : vec.vec) {
    for (size_t i = 0; i < s.v.size(); i++) {
      if (!s.has[i]) continue;
      double l = s.v[i], r = scalar[i];
      if (scalar_left) std::swap(l, r);
      bool keep;
      double v = Apply(b.op, l, r, &keep);
      if (IsComparison(b.op)) v = s.v[i];  // the vector's value survives a comparison
      if (b.return_bool) {
        v = keep ? 1 : 0;
        keep = true;
      }
      s.v[i] = v;
      s.has[i] = keep;
    }
  }
  if (DropsMetricName(b.op) || b.return_bool) DropMetricNames(vec.vec);
  std::erase_if(vec.vec, [](const StepSeries& s) { return s.Count() == 0; });
  STRATA_RETURN_IF_ERROR(MergeSameLabels(vec.vec));
  return vec;
}

// Per signature, the steps at which any series of that signature has a value.
std::unordered_map<std::string, std::vector<uint8_t>> Presence(const StepVector& vec,
                                                               const VectorMatching& vm, size_t n) {
  std::unordered_map<std::string, std::vector<uint8_t>> out;
  for (const auto& s : vec) {
    auto& p = out[Signature(s.labels, vm)];
    if (p.empty()) p.assign(n, 0);
    for (size_t i = 0; i < n; i++) p[i] |= s.has[i];
  }
  return out;
}

Result<Value> SetOperation(const BinaryExpr& b, Value l, Value r, const Grid& g) {
  const VectorMatching& vm = *b.matching;
  Value out{ValueType::kVector};
  if (b.op == BinOp::kOr) {
    auto left = Presence(l.vec, vm, g.n);
    out.vec = std::move(l.vec);
    for (auto& s : r.vec) {
      auto it = left.find(Signature(s.labels, vm));
      if (it != left.end()) {
        for (size_t i = 0; i < g.n; i++) s.has[i] &= !it->second[i];
      }
      if (s.Count() > 0) out.vec.push_back(std::move(s));
    }
    STRATA_RETURN_IF_ERROR(MergeSameLabels(out.vec));
    return out;
  }
  auto right = Presence(r.vec, vm, g.n);
  for (auto& s : l.vec) {
    auto it = right.find(Signature(s.labels, vm));
    for (size_t i = 0; i < g.n; i++) {
      bool in_right = it != right.end() && it->second[i];
      if (b.op == BinOp::kAnd ? !in_right : in_right) s.has[i] = 0;
    }
    if (s.Count() > 0) out.vec.push_back(std::move(s));
  }
  return out;
}

Result<Value> VectorVector(Evaluator& ev, const BinaryExpr& b, Value lv, Value rv, const Grid& g) {
  if (IsSetOperator(b.op)) return SetOperation(b, std::move(lv), std::move(rv), g);
  const VectorMatching& vm = *b.matching;
  const bool swap = vm.card == VectorMatching::Card::kOneToMany;
  StepVector& many = swap ? rv.vec : lv.vec;
  StepVector& one = swap ? lv.vec : rv.vec;

  // The "one" side, grouped by signature; two of its series with one signature at one step is
  // many-to-many matching, which Prometheus refuses.
  std::unordered_map<std::string, std::vector<size_t>> one_by_sig;
  for (size_t j = 0; j < one.size(); j++) one_by_sig[Signature(one[j].labels, vm)].push_back(j);
  for (const auto& [sig, members] : one_by_sig) {
    if (members.size() < 2) continue;
    for (size_t i = 0; i < g.n; i++) {
      int first = -1;
      for (size_t j : members) {
        if (!one[j].has[i]) continue;
        if (first < 0) {
          first = static_cast<int>(j);
          continue;
        }
        return Status::InvalidArgument(
            "found duplicate series for the match group " +
            MatchLabels(one[j].labels, vm).String() + " on the " + (swap ? "left" : "right") +
            " hand-side of the operation: [" + one[j].labels.String() + ", " +
            one[first].labels.String() +
            "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    }
  }

  Value out{ValueType::kVector};
  // Outputs per signature and step, to detect ambiguous matches as Prometheus does.
  std::unordered_map<std::string, std::vector<uint8_t>> matched;
  std::unordered_map<std::string, std::unordered_map<uint64_t, std::vector<uint8_t>>> grouped;
  for (auto& ms : many) {
    STRATA_RETURN_IF_ERROR(ev.CheckInterrupt());
    const std::string sig = Signature(ms.labels, vm);
    auto it = one_by_sig.find(sig);
    if (it == one_by_sig.end()) continue;
    for (size_t j : it->second) {
      const StepSeries& os = one[j];
      StepSeries res;
      res.v.assign(g.n, 0);
      res.has.assign(g.n, 0);
      size_t count = 0;
      for (size_t i = 0; i < g.n; i++) {
        if (!ms.has[i] || !os.has[i]) continue;
        double l = ms.v[i], r = os.v[i];
        if (swap) std::swap(l, r);
        bool keep;
        double v = Apply(b.op, l, r, &keep);
        if (b.return_bool) {
          v = keep ? 1 : 0;
          keep = true;
        }
        if (!keep) continue;
        res.v[i] = v;
        res.has[i] = 1;
        count++;
      }
      if (count == 0) continue;
      res.labels = ResultLabels(ms.labels, os.labels, b);
      if (vm.card == VectorMatching::Card::kOneToOne) {
        auto& m = matched[sig];
        if (m.empty()) m.assign(g.n, 0);
        for (size_t i = 0; i < g.n; i++) {
          if (!res.has[i]) continue;
          if (m[i]) {
            return Status::InvalidArgument(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
          m[i] = 1;
        }
      } else {
        auto& m = grouped[sig][res.labels.Hash()];
        if (m.empty()) m.assign(g.n, 0);
        for (size_t i = 0; i < g.n; i++) {
          if (!res.has[i]) continue;
          if (m[i])
            return Status::InvalidArgument(
                "multiple matches for labels: grouping labels must ensure unique matches");
          m[i] = 1;
        }
      }
      STRATA_RETURN_IF_ERROR(ev.Reserve(static_cast<int64_t>(count)));
      out.vec.push_back(std::move(res));
    }
  }
  STRATA_RETURN_IF_ERROR(MergeSameLabels(out.vec));
  return out;
}

}  // namespace

Result<Value> EvalBinary(Evaluator& ev, const BinaryExpr& b, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value l, ev.Eval(*b.lhs, g));
  STRATA_ASSIGN_OR_RETURN(Value r, ev.Eval(*b.rhs, g));
  if (l.type == ValueType::kScalar && r.type == ValueType::kScalar)
    return ScalarScalar(b, std::move(l), r);
  if (l.type == ValueType::kVector && r.type == ValueType::kScalar)
    return VectorScalar(b, std::move(l), r.scalar, false);
  if (l.type == ValueType::kScalar && r.type == ValueType::kVector)
    return VectorScalar(b, std::move(r), l.scalar, true);
  return VectorVector(ev, b, std::move(l), std::move(r), g);
}

}  // namespace strata::promql
