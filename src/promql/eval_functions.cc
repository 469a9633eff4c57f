// PromQL functions. Range-vector functions slide each series' window over the steps; the
// others map instant vectors step by step.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include "base/go_format.h"
#include "promql/eval.h"
#include "promql/functions.h"
#include "promql/quantile.h"

namespace strata::promql {
namespace {

// A window of one series at one step.
struct Window {
  const int64_t* t;
  const double* v;
  size_t n;
  int64_t start, end;              // the range's boundaries (ms)
  int64_t step_time;               // the evaluation timestamp
  double range_s;                  // the selector's range in seconds
  const std::vector<double>* arg;  // scalar argument per step, when the function has one
  size_t step;
  // Indices (into the whole series) of the samples lower than their predecessor, and the index
  // of t[0], so counter functions skip straight to the resets inside a window.
  const std::vector<size_t>* resets;
  size_t offset;
};

// Returns false when the function has no value for this window.
using RangeKernel = bool (*)(const Window&, double*);

bool ExtrapolatedRate(const Window& w, bool counter, bool rate, double* out) {
  if (w.n < 2) return false;
  double result = w.v[w.n - 1] - w.v[0];
  if (counter) {
    // Add the value before each reset, in order (the same sum as a scan over the window).
    auto r = std::upper_bound(w.resets->begin(), w.resets->end(), w.offset);
    for (; r != w.resets->end() && *r < w.offset + w.n; ++r) result += w.v[*r - w.offset - 1];
  }
  const double first_t = static_cast<double>(w.t[0]), last_t = static_cast<double>(w.t[w.n - 1]);
  double to_start = (first_t - static_cast<double>(w.start)) / 1000;
  double to_end = (static_cast<double>(w.end) - last_t) / 1000;
  const double sampled = (last_t - first_t) / 1000;
  const double avg_between = sampled / static_cast<double>(w.n - 1);
  const double threshold = avg_between * 1.1;
  double interval = sampled;
  if (to_start >= threshold) to_start = avg_between / 2;
  if (counter && result > 0 && w.v[0] >= 0) {
    // A counter cannot have been negative: do not extrapolate below zero.
    const double to_zero = sampled * (w.v[0] / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  interval += to_start;
  if (to_end >= threshold) to_end = avg_between / 2;
  interval += to_end;
  double factor = interval / sampled;
  if (rate) factor /= w.range_s;
  *out = result * factor;
  return true;
}

bool InstantValue(const Window& w, bool rate, double* out) {
  if (w.n < 2) return false;
  const double last = w.v[w.n - 1], prev = w.v[w.n - 2];
  double result = rate && last < prev ? last : last - prev;
  const int64_t interval = w.t[w.n - 1] - w.t[w.n - 2];
  if (interval == 0) return false;
  if (rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}

void LinearRegression(const Window& w, int64_t intercept_time, double* slope, double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = w.v[0];
  bool const_y = true;
  for (size_t i = 0; i < w.n; i++) {
    if (const_y && i > 0 && w.v[i] != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(w.t[i] - intercept_time) / 1e3;
    KahanAdd(x, &sx, &cx);
    KahanAdd(w.v[i], &sy, &cy);
    KahanAdd(x * w.v[i], &sxy, &cxy);
    KahanAdd(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = NAN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

Status HoltWintersArgs(double sf, double tf) {
  char buf[128];
  if (sf <= 0 || sf >= 1) {
    std::snprintf(buf, sizeof(buf), "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf);
    return Status::InvalidArgument(buf);
  }
  if (tf <= 0 || tf >= 1) {
    std::snprintf(buf, sizeof(buf), "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
    return Status::InvalidArgument(buf);
  }
  return Status::OK();
}

bool HoltWinters(const Window& w, double sf, double tf, double* out) {
  if (w.n < 2) return false;
  double s0 = 0, s1 = w.v[0], b = w.v[1] - w.v[0];
  for (size_t i = 1; i < w.n; i++) {
    const double x = sf * w.v[i];
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *out = s1;
  return true;
}

// Population variance with Kahan-compensated Welford updates (stddev/stdvar_over_time).
double Variance(const Window& w) {
  double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
  for (size_t i = 0; i < w.n; i++) {
    count++;
    const double delta = w.v[i] - (mean + cmean);
    KahanAdd(delta / count, &mean, &cmean);
    KahanAdd(delta * (w.v[i] - (mean + cmean)), &aux, &caux);
  }
  return (aux + caux) / count;
}

const std::unordered_map<std::string_view, RangeKernel>& RangeKernels() {
  static const auto* k = new std::unordered_map<std::string_view, RangeKernel>{
      {"rate", [](const Window& w, double* o) { return ExtrapolatedRate(w, true, true, o); }},
      {"increase", [](const Window& w, double* o) { return ExtrapolatedRate(w, true, false, o); }},
      {"delta", [](const Window& w, double* o) { return ExtrapolatedRate(w, false, false, o); }},
      {"irate", [](const Window& w, double* o) { return InstantValue(w, true, o); }},
      {"idelta", [](const Window& w, double* o) { return InstantValue(w, false, o); }},
      {"deriv",
       [](const Window& w, double* o) {
         if (w.n < 2) return false;
         double intercept;
         LinearRegression(w, w.t[0], o, &intercept);
         return true;
       }},
      {"predict_linear",
       [](const Window& w, double* o) {
         if (w.n < 2) return false;
         double slope, intercept;
         LinearRegression(w, w.step_time, &slope, &intercept);
         *o = intercept + slope * (*w.arg)[w.step];
         return true;
       }},
      {"resets",
       [](const Window& w, double* o) {
         double r = 0;
         for (size_t i = 1; i < w.n; i++) r += w.v[i] < w.v[i - 1];
         *o = r;
         return true;
       }},
      {"changes",
       [](const Window& w, double* o) {
         double c = 0;
         for (size_t i = 1; i < w.n; i++) {
           const double a = w.v[i], b = w.v[i - 1];
           c += !(a == b || (std::isnan(a) && std::isnan(b)));
         }
         *o = c;
         return true;
       }},
      {"avg_over_time",
       [](const Window& w, double* o) {
         double mean = 0, c = 0, count = 0;
         for (size_t i = 0; i < w.n; i++) {
           const double x = w.v[i];
           count++;
           if (std::isinf(mean)) {
             if (std::isinf(x) && (mean > 0) == (x > 0)) continue;
             if (!std::isinf(x) && !std::isnan(x)) continue;
           }
           KahanAdd(x / count - mean / count, &mean, &c);
         }
         *o = std::isinf(mean) ? mean : mean + c;
         return true;
       }},
      {"sum_over_time",
       [](const Window& w, double* o) {
         double sum = 0, c = 0;
         for (size_t i = 0; i < w.n; i++) KahanAdd(w.v[i], &sum, &c);
         *o = std::isinf(sum) ? sum : sum + c;
         return true;
       }},
      {"count_over_time",
       [](const Window& w, double* o) {
         *o = static_cast<double>(w.n);
         return true;
       }},
      {"last_over_time",
       [](const Window& w, double* o) {
         *o = w.v[w.n - 1];
         return true;
       }},
      {"present_over_time",
       [](const Window&, double* o) {
         *o = 1;
         return true;
       }},
      {"absent_over_time",
       [](const Window&, double* o) {
         *o = 1;
         return true;
       }},
      {"max_over_time",
       [](const Window& w, double* o) {
         double m = w.v[0];
         for (size_t i = 0; i < w.n; i++) {
           if (w.v[i] > m || std::isnan(m)) m = w.v[i];
         }
         *o = m;
         return true;
       }},
      {"min_over_time",
       [](const Window& w, double* o) {
         double m = w.v[0];
         for (size_t i = 0; i < w.n; i++) {
           if (w.v[i] < m || std::isnan(m)) m = w.v[i];
         }
         *o = m;
         return true;
       }},
      {"stddev_over_time",
       [](const Window& w, double* o) {
         *o = std::sqrt(Variance(w));
         return true;
       }},
      {"stdvar_over_time",
       [](const Window& w, double* o) {
         *o = Variance(w);
         return true;
       }},
      {"quantile_over_time",
       [](const Window& w, double* o) {
         std::vector<double> vals(w.v, w.v + w.n);
         *o = Quantile((*w.arg)[w.step], vals);
         return true;
       }},
      {"mad_over_time",
       [](const Window& w, double* o) {
         std::vector<double> vals(w.v, w.v + w.n);
         const double median = Quantile(0.5, vals);
         for (double& x : vals) x = std::fabs(x - median);
         *o = Quantile(0.5, vals);
         return true;
       }},
  };
  return *k;
}

// Labels for absent()/absent_over_time(): the selector's equality matchers, except the metric
// name and labels matched more than once.
Labels AbsentLabels(const Expr& arg) {
  const Expr* e = &arg;
  while (e->kind == Expr::Kind::kParen) e = static_cast<const ParenExpr*>(e)->expr.get();
  const VectorSelector* vs = nullptr;
  if (e->kind == Expr::Kind::kVectorSelector) vs = static_cast<const VectorSelector*>(e);
  if (e->kind == Expr::Kind::kMatrixSelector) vs = &static_cast<const MatrixSelector*>(e)->vs();
  if (vs == nullptr) return {};
  Labels out;
  std::vector<std::string> seen;
  for (const auto& m : vs->matchers) {
    if (m.name() == "__name__") continue;
    bool has = std::find(seen.begin(), seen.end(), m.name()) != seen.end();
    if (m.type() == MatchType::kEqual && !has) {
      out = out.With(m.name(), m.value());
      seen.push_back(m.name());
    } else {
      out = out.Without(m.name());
    }
  }
  return out;
}

// Whole-series duplicate check done after range functions (Prometheus's ContainsSameLabelset).
Status RequireUniqueLabels(const StepVector& vec) {
  std::unordered_map<uint64_t, std::vector<size_t>> seen;
  for (size_t i = 0; i < vec.size(); i++) {
    auto& c = seen[vec[i].labels.Hash()];
    for (size_t j : c) {
      if (vec[j].labels == vec[i].labels)
        return Status::InvalidArgument("vector cannot contain metrics with the same labelset");
    }
    c.push_back(i);
  }
  return Status::OK();
}

Result<Value> EvalRangeFunction(Evaluator& ev, const Call& c, const Grid& g, size_t matrix_arg) {
  std::vector<double> scalar_arg;
  std::vector<double> sf, tf;
  for (size_t i = 0; i < c.args.size(); i++) {
    if (i == matrix_arg) continue;
    STRATA_ASSIGN_OR_RETURN(Value a, ev.Eval(*c.args[i], g));
    if (c.func->name == "holt_winters") {
      (i == 1 ? sf : tf) = std::move(a.scalar);
    } else {
      scalar_arg = std::move(a.scalar);
    }
  }
  const std::string_view name = c.func->name;
  RangeKernel kernel = nullptr;
  if (name != "holt_winters") kernel = RangeKernels().at(name);
  const RangeKernel sum_kernel = RangeKernels().at("sum_over_time");
  if (name == "quantile_over_time" && !scalar_arg.empty()) {
    const double q = scalar_arg[0];
    if (std::isnan(q) || q < 0 || q > 1) {
      ev.warnings().push_back("PromQL warning: quantile value should be between 0 and 1, got " +
                              GoFormatFloat(q));
    }
  }
  Value out{ValueType::kVector};
  const bool keep_name = name == "last_over_time";
  const bool counter = name == "rate" || name == "increase";
  std::vector<size_t> resets;
  RangeWindows rw;
  STRATA_RETURN_IF_ERROR(
      ev.EvalRange(*c.args[matrix_arg], g, name, &rw, [&](RangeSeries& rs) -> Status {
        resets.clear();
        for (size_t k = 1; counter && k < rs.v.size(); k++) {
          if (rs.v[k] < rs.v[k - 1]) resets.push_back(k);
        }
        StepSeries s;
        s.v.assign(g.n, 0);
        s.has.assign(g.n, 0);
        size_t lo = 0, hi = 0, count = 0;
        const double range_s = static_cast<double>(rw.range) / 1000.0;
        for (size_t i = 0; i < g.n; i++) {
          const int64_t end = rw.window_end[i], start = end - rw.range;
          while (hi < rs.t.size() && rs.t[hi] <= end) hi++;
          while (lo < hi && rs.t[lo] < start) lo++;
          // Windows move forward with the steps; with @ they stay put, so rewind.
          if (lo > 0 && rs.t[lo - 1] >= start) {
            lo = static_cast<size_t>(
                std::lower_bound(rs.t.begin(), rs.t.begin() + static_cast<long>(hi), start) -
                rs.t.begin());
          }
          if (lo == hi) continue;
          Window w{rs.t.data() + lo, rs.v.data() + lo, hi - lo, start,   end, g.At(i),
                   range_s,          &scalar_arg,      i,       &resets, lo};
          double v;
          bool ok;
          if (kernel == nullptr) {
            STRATA_RETURN_IF_ERROR(HoltWintersArgs(sf[i], tf[i]));
            ok = HoltWinters(w, sf[i], tf[i], &v);
          } else if (rs.counts && name == "count_over_time") {
            // Downsampled counts: each value stands for that many raw samples.
            ok = sum_kernel(w, &v);
          } else {
            ok = kernel(w, &v);
          }
          if (!ok) continue;
          s.v[i] = v;
          s.has[i] = 1;
          count++;
        }
        if (count == 0) return Status::OK();
        s.labels = keep_name ? std::move(rs.labels) : rs.labels.Without("__name__");
        out.vec.push_back(std::move(s));
        return ev.Reserve(static_cast<int64_t>(count));
      }));
  if (name == "absent_over_time") {
    StepSeries s;
    s.labels = AbsentLabels(*c.args[0]);
    s.v.assign(g.n, 1);
    s.has.assign(g.n, 1);
    for (const auto& o : out.vec) {
      for (size_t i = 0; i < g.n; i++) s.has[i] &= !o.has[i];
    }
    out.vec.clear();
    if (s.Count() > 0) out.vec.push_back(std::move(s));
    return out;
  }
  STRATA_RETURN_IF_ERROR(RequireUniqueLabels(out.vec));
  return out;
}

// Go's int64(f) on amd64: NaN and out-of-range values become math.MinInt64.
int64_t GoInt64(double f) {
  if (std::isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(f);
}

struct CivilTime {
  int64_t year;
  int month, day, hour, minute, weekday, yday;
};

// UTC calendar fields of a Unix time in seconds (proleptic Gregorian, as Go's time package).
CivilTime Civil(int64_t secs) {
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  CivilTime c{};
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  // Howard Hinnant's days_from_civil inverse.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2);
  return c;
}

double DateField(std::string_view fn, double unix_seconds) {
  const CivilTime c = Civil(GoInt64(unix_seconds));
  if (fn == "day_of_month") return c.day;
  if (fn == "day_of_week") return c.weekday;
  if (fn == "day_of_year") return c.yday;
  if (fn == "hour") return c.hour;
  if (fn == "minute") return c.minute;
  if (fn == "month") return c.month;
  if (fn == "year") return static_cast<double>(c.year);
  // days_in_month
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  return kDays[c.month - 1] + (leap && c.month == 2);
}

using MathFn = double (*)(double);
const std::unordered_map<std::string_view, MathFn>& MathFunctions() {
  static const auto* m = new std::unordered_map<std::string_view, MathFn>{
      {"abs", [](double x) { return std::fabs(x); }},
      {"ceil", [](double x) { return std::ceil(x); }},
      {"floor", [](double x) { return std::floor(x); }},
      {"exp", [](double x) { return std::exp(x); }},
      {"sqrt", [](double x) { return std::sqrt(x); }},
      {"ln", [](double x) { return std::log(x); }},
      {"log2", [](double x) { return std::log2(x); }},
      {"log10", [](double x) { return std::log10(x); }},
      {"sin", [](double x) { return std::sin(x); }},
      {"cos", [](double x) { return std::cos(x); }},
      {"tan", [](double x) { return std::tan(x); }},
      {"asin", [](double x) { return std::asin(x); }},
      {"acos", [](double x) { return std::acos(x); }},
      {"atan", [](double x) { return std::atan(x); }},
      {"sinh", [](double x) { return std::sinh(x); }},
      {"cosh", [](double x) { return std::cosh(x); }},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"asinh", [](double x) { return std::asinh(x); }},
      {"acosh", [](double x) { return std::acosh(x); }},
      {"atanh", [](double x) { return std::atanh(x); }},
      {"deg", [](double x) { return x * 180 / M_PI; }},
      {"rad", [](double x) { return x * M_PI / 180; }},
      {"sgn", [](double x) { return x < 0   ? -1.0
                                    : x > 0 ? 1.0
                                            : x; }},
  };
  return *m;
}

// Go's regexp.Expand for label_replace: $1, ${1}, $name, ${name}; $$ is a literal $.
std::string ExpandTemplate(std::string_view tmpl, const re2::RE2& re,
                           const std::vector<re2::StringPiece>& groups) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); i++) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      i++;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    auto is_name = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    };
    if (tmpl[j] == '{') {
      size_t close = tmpl.find('}', j);
      if (close == std::string_view::npos) {
        out += tmpl[i];
        continue;
      }
      name = std::string(tmpl.substr(j + 1, close - j - 1));
      bool valid = !name.empty() && std::all_of(name.begin(), name.end(), is_name);
      if (!valid) {
        out += tmpl[i];
        continue;
      }
      j = close + 1;
    } else {
      while (j < tmpl.size() && is_name(tmpl[j])) name += tmpl[j++];
      if (name.empty()) {
        out += tmpl[i];
        continue;
      }
    }
    int idx = -1;
    if (std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      idx = name.size() < 9 ? std::stoi(name) : -1;
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      if (it != re.NamedCapturingGroups().end()) idx = it->second;
    }
    if (idx >= 0 && idx < static_cast<int>(groups.size()) && groups[idx].data() != nullptr) {
      out.append(groups[idx].data(), groups[idx].size());
    }
    i = j - 1;
  }
  return out;
}

Result<Value> LabelReplace(Evaluator& ev, const Call& c, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*c.args[0], g));
  std::string strs[4];
  for (int i = 0; i < 4; i++) {
    STRATA_ASSIGN_OR_RETURN(Value s, ev.Eval(*c.args[i + 1], g));
    strs[i] = s.str;
  }
  const std::string &dst = strs[0], &repl = strs[1], &src = strs[2], &regex = strs[3];
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_dot_nl(true);
  re2::RE2 re("^(?:" + regex + ")$", o);
  if (!re.ok())
    return Status::InvalidArgument("invalid regular expression in label_replace(): " + regex);
  if (!IsValidLabelName(dst))
    return Status::InvalidArgument("invalid destination label name in label_replace(): " + dst);
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  for (auto& s : v.vec) {
    const std::string val(s.labels.Get(src));
    if (!re.Match(val, 0, val.size(), re2::RE2::UNANCHORED, groups.data(),
                  static_cast<int>(groups.size())))
      continue;
    std::string res = ExpandTemplate(repl, re, groups);
    s.labels = res.empty() ? s.labels.Without(dst) : s.labels.With(dst, res);
  }
  STRATA_RETURN_IF_ERROR(MergeSameLabels(v.vec));
  return v;
}

Result<Value> LabelJoin(Evaluator& ev, const Call& c, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*c.args[0], g));
  std::vector<std::string> strs;
  for (size_t i = 1; i < c.args.size(); i++) {
    STRATA_ASSIGN_OR_RETURN(Value s, ev.Eval(*c.args[i], g));
    strs.push_back(s.str);
  }
  const std::string dst = strs[0], sep = strs[1];
  if (!IsValidLabelName(dst))
    return Status::InvalidArgument("invalid destination label name in label_join(): " + dst);
  for (size_t i = 2; i < strs.size(); i++) {
    if (!IsValidLabelName(strs[i]))
      return Status::InvalidArgument("invalid source label name in label_join(): " + strs[i]);
  }
  for (auto& s : v.vec) {
    std::string res;
    for (size_t i = 2; i < strs.size(); i++) {
      if (i > 2) res += sep;
      res += s.labels.Get(strs[i]);
    }
    s.labels = res.empty() ? s.labels.Without(dst) : s.labels.With(dst, res);
  }
  STRATA_RETURN_IF_ERROR(MergeSameLabels(v.vec));
  return v;
}

Result<Value> HistogramQuantile(Evaluator& ev, const Call& c, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value q, ev.Eval(*c.args[0], g));
  STRATA_ASSIGN_OR_RETURN(Value in, ev.Eval(*c.args[1], g));
  // Buckets group by all labels but `le`; the output drops `le` and the metric name.
  struct Group {
    Labels out;
    std::vector<std::pair<double, size_t>> buckets;  // upper bound, input series
  };
  std::vector<Group> groups;
  std::unordered_map<uint64_t, std::vector<size_t>> index;
  bool bad_le = false;
  for (size_t si = 0; si < in.vec.size(); si++) {
    const Labels& l = in.vec[si].labels;
    std::string le(l.Get("le"));
    char* end = nullptr;
    double ub = std::strtod(le.c_str(), &end);
    if (le.empty() || end != le.c_str() + le.size()) {
      bad_le = true;
      continue;
    }
    Labels key = l.Without("le");
    auto& cands = index[key.Hash()];
    size_t found = SIZE_MAX;
    for (size_t gi : cands) {
      if (groups[gi].out == key) found = gi;
    }
    if (found == SIZE_MAX) {
      found = groups.size();
      cands.push_back(found);
      groups.push_back({std::move(key), {}});
    }
    groups[found].buckets.push_back({ub, si});
  }
  if (bad_le)
    ev.warnings().push_back(
        "PromQL warning: bucket label \"le\" is missing or has a malformed value");
  Value out{ValueType::kVector};
  std::vector<Bucket> buckets;
  for (auto& grp : groups) {
    StepSeries s;
    s.labels = grp.out.Without("__name__");
    s.v.assign(g.n, 0);
    s.has.assign(g.n, 0);
    for (size_t i = 0; i < g.n; i++) {
      buckets.clear();
      for (const auto& [ub, si] : grp.buckets) {
        if (in.vec[si].has[i]) buckets.push_back({ub, in.vec[si].v[i]});
      }
      if (buckets.empty()) continue;
      s.v[i] = BucketQuantile(q.scalar[i], buckets);
      s.has[i] = 1;
    }
    if (s.Count() > 0) out.vec.push_back(std::move(s));
  }
  STRATA_RETURN_IF_ERROR(MergeSameLabels(out.vec));
  return out;
}

// Natural order of label values for sort_by_label: digit runs compare as numbers.
bool NaturalLess(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])),
               db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ie++;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) je++;
      std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    i++;
    j++;
  }
  return a.size() - i < b.size() - j;
}

// Instant-query ordering: by value (NaN last), then for sort_by_label* stably by the given labels
// in natural order, as Prometheus sorts by value first and then by label.
Result<Value> Sort(Evaluator& ev, const Call& c, const Grid& g) {
  STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*c.args[0], g));
  if (g.n != 1) return v;  // order only matters for instant queries
  const std::string_view name = c.func->name;
  const bool desc = name == "sort_desc" || name == "sort_by_label_desc";
  std::stable_sort(v.vec.begin(), v.vec.end(), [&](const StepSeries& a, const StepSeries& b) {
    const double x = a.v[0], y = b.v[0];
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return desc ? x > y : x < y;
  });
  if (name == "sort" || name == "sort_desc") return v;
  std::vector<std::string> names;
  for (size_t i = 1; i < c.args.size(); i++) {
    STRATA_ASSIGN_OR_RETURN(Value s, ev.Eval(*c.args[i], g));
    names.push_back(s.str);
  }
  std::stable_sort(v.vec.begin(), v.vec.end(), [&](const StepSeries& a, const StepSeries& b) {
    for (const auto& l : names) {
      std::string_view x = a.labels.Get(l), y = b.labels.Get(l);
      if (x == y) continue;
      return desc ? NaturalLess(y, x) : NaturalLess(x, y);
    }
    return false;
  });
  return v;
}

}  // namespace

Result<Value> CallFunction(Evaluator& ev, const Call& c, const Grid& g) {
  const std::string_view name = c.func->name;
  if (c.func->extended) {
    STRATA_ASSIGN_OR_RETURN(Value v, EvalExtendedRange(ev, c, g));
    STRATA_RETURN_IF_ERROR(RequireUniqueLabels(v.vec));
    return v;
  }
  for (size_t i = 0; i < c.args.size(); i++) {
    if (c.args[i]->Type() == ValueType::kMatrix) return EvalRangeFunction(ev, c, g, i);
  }
  if (name == "time" || name == "pi") {
    Value v{ValueType::kScalar};
    v.scalar.resize(g.n);
    for (size_t i = 0; i < g.n; i++)
      v.scalar[i] = name == "pi" ? M_PI : static_cast<double>(g.At(i)) / 1000.0;
    return v;
  }
  if (name == "vector") {
    STRATA_ASSIGN_OR_RETURN(Value s, ev.Eval(*c.args[0], g));
    Value v{ValueType::kVector};
    StepSeries ss;
    ss.v = std::move(s.scalar);
    ss.has.assign(g.n, 1);
    v.vec.push_back(std::move(ss));
    return v;
  }
  if (name == "scalar") {
    STRATA_ASSIGN_OR_RETURN(Value in, ev.Eval(*c.args[0], g));
    Value v{ValueType::kScalar};
    v.scalar.assign(g.n, NAN);
    std::vector<int> count(g.n, 0);
    for (const auto& s : in.vec) {
      for (size_t i = 0; i < g.n; i++) {
        if (!s.has[i]) continue;
        v.scalar[i] = ++count[i] == 1 ? s.v[i] : NAN;
      }
    }
    return v;
  }
  if (name == "absent") {
    STRATA_ASSIGN_OR_RETURN(Value in, ev.Eval(*c.args[0], g));
    StepSeries s;
    s.labels = AbsentLabels(*c.args[0]);
    s.v.assign(g.n, 1);
    s.has.assign(g.n, 1);
    for (const auto& o : in.vec) {
      for (size_t i = 0; i < g.n; i++) s.has[i] &= !o.has[i];
    }
    Value v{ValueType::kVector};
    if (s.Count() > 0) v.vec.push_back(std::move(s));
    return v;
  }
  if (name == "timestamp") {
    // Of a selector: the timestamps of the samples found; otherwise the evaluation times.
    const Expr* arg = Unwrap(c.args[0].get());
    Value v;
    if (arg->kind == Expr::Kind::kVectorSelector) {
      STRATA_ASSIGN_OR_RETURN(
          v, ev.EvalSelectorTimestamps(static_cast<const VectorSelector&>(*arg), g));
    } else {
      STRATA_ASSIGN_OR_RETURN(v, ev.Eval(*c.args[0], g));
      for (auto& s : v.vec) {
        for (size_t i = 0; i < g.n; i++) s.v[i] = static_cast<double>(g.At(i)) / 1000.0;
      }
    }
    DropMetricNames(v.vec);
    STRATA_RETURN_IF_ERROR(MergeSameLabels(v.vec));
    return v;
  }
  if (name == "label_replace") return LabelReplace(ev, c, g);
  if (name == "label_join") return LabelJoin(ev, c, g);
  if (name == "histogram_quantile") return HistogramQuantile(ev, c, g);
  if (name.starts_with("sort")) return Sort(ev, c, g);
  if (name.starts_with("histogram_")) {  // native-histogram functions ignore float samples
    for (const auto& a : c.args) STRATA_RETURN_IF_ERROR(ev.Eval(*a, g).status());
    return Value{ValueType::kVector};
  }
  const bool is_date = name == "day_of_month" || name == "day_of_week" || name == "day_of_year" ||
                       name == "days_in_month" || name == "hour" || name == "minute" ||
                       name == "month" || name == "year";
  if (is_date && c.args.empty()) {
    Value v{ValueType::kVector};
    StepSeries s;
    s.v.resize(g.n);
    s.has.assign(g.n, 1);
    for (size_t i = 0; i < g.n; i++) s.v[i] = DateField(name, static_cast<double>(g.At(i) / 1000));
    v.vec.push_back(std::move(s));
    return v;
  }
  // Element-wise functions of an instant vector, with optional scalar arguments.
  STRATA_ASSIGN_OR_RETURN(Value v, ev.Eval(*c.args[0], g));
  std::vector<std::vector<double>> scalars;
  for (size_t i = 1; i < c.args.size(); i++) {
    STRATA_ASSIGN_OR_RETURN(Value s, ev.Eval(*c.args[i], g));
    scalars.push_back(std::move(s.scalar));
  }
  std::function<double(double, size_t)> f;
  if (is_date) {
    f = [&](double x, size_t) { return DateField(name, x); };
  } else if (name == "clamp") {
    f = [&](double x, size_t i) { return GoMax(scalars[0][i], GoMin(scalars[1][i], x)); };
    for (auto& s : v.vec) {  // no output at steps where max < min
      for (size_t i = 0; i < g.n; i++) s.has[i] &= !(scalars[1][i] < scalars[0][i]);
    }
  } else if (name == "clamp_min") {
    f = [&](double x, size_t i) { return GoMax(scalars[0][i], x); };
  } else if (name == "clamp_max") {
    f = [&](double x, size_t i) { return GoMin(scalars[0][i], x); };
  } else if (name == "round") {
    f = [&](double x, size_t i) {
      const double inv = 1.0 / (scalars.empty() ? 1.0 : scalars[0][i]);
      return std::floor(x * inv + 0.5) / inv;
    };
  } else {
    auto it = MathFunctions().find(name);
    if (it == MathFunctions().end())
      return Status::Unsupported("function " + std::string(name) + " is not supported");
    MathFn m = it->second;
    f = [m](double x, size_t) { return m(x); };
  }
  for (auto& s : v.vec) {
    for (size_t i = 0; i < g.n; i++) {
      if (s.has[i]) s.v[i] = f(s.v[i], i);
    }
  }
  std::erase_if(v.vec, [](const StepSeries& s) { return s.Count() == 0; });
  DropMetricNames(v.vec);
  STRATA_RETURN_IF_ERROR(MergeSameLabels(v.vec));
  return v;
}

}  // namespace strata::promql
