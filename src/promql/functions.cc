#include "promql/functions.h"

#include <map>

namespace strata::promql {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

const std::map<std::string_view, Function>& Table() {
  static const auto* table = [] {
    auto* t = new std::map<std::string_view, Function>();
    auto add = [&](Function f) { (*t)[f.name] = std::move(f); };
    for (std::string_view n : {"abs",
                               "acos",
                               "acosh",
                               "asin",
                               "asinh",
                               "atan",
                               "atanh",
                               "ceil",
                               "cos",
                               "cosh",
                               "deg",
                               "exp",
                               "floor",
                               "ln",
                               "log10",
                               "log2",
                               "rad",
                               "sgn",
                               "sin",
                               "sinh",
                               "sqrt",
                               "tan",
                               "tanh",
                               "timestamp",
                               "sort",
                               "sort_desc",
                               "absent",
                               "histogram_count",
                               "histogram_sum",
                               "histogram_stddev",
                               "histogram_stdvar",
                               "histogram_avg"}) {
      add({n, {V}});
    }
    for (std::string_view n :
         {"avg_over_time", "count_over_time", "last_over_time", "max_over_time", "min_over_time",
          "present_over_time", "stddev_over_time", "stdvar_over_time", "sum_over_time",
          "absent_over_time", "changes", "resets", "delta", "deriv", "idelta", "increase", "irate",
          "rate"}) {
      add({n, {M}});
    }
    add({"mad_over_time", {M}, 0, V, true});
    for (std::string_view n : {"xdelta", "xincrease", "xrate"}) add({n, {M}, 0, V, false, true});
    for (std::string_view n : {"day_of_month", "day_of_week", "day_of_year", "days_in_month",
                               "hour", "minute", "month", "year"}) {
      add({n, {V}, 1});
    }
    add({"clamp", {V, S, S}});
    add({"clamp_max", {V, S}});
    add({"clamp_min", {V, S}});
    add({"round", {V, S}, 1});
    add({"holt_winters", {M, S, S}});
    add({"predict_linear", {M, S}});
    add({"quantile_over_time", {S, M}});
    add({"histogram_quantile", {S, V}});
    add({"histogram_fraction", {S, S, V}});
    add({"label_replace", {V, Str, Str, Str, Str}});
    add({"label_join", {V, Str, Str, Str}, -1});
    add({"sort_by_label", {V, Str}, -1, V, true});
    add({"sort_by_label_desc", {V, Str}, -1, V, true});
    add({"pi", {}, 0, S});
    add({"time", {}, 0, S});
    add({"scalar", {V}, 0, S});
    add({"vector", {S}, 0, V});
    return t;
  }();
  return *table;
}

}  // namespace

bool IsTimeDependentFunction(std::string_view name) {
  static const std::string_view kNames[] = {
      "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",     "minute",
      "month",         "year",         "predict_linear", "time",        "timestamp"};
  for (auto n : kNames) {
    if (n == name) return true;
  }
  return false;
}

bool IsExtendedRangeFunction(std::string_view name) {
  return name == "xrate" || name == "xincrease" || name == "xdelta";
}

const Function* LookupFunction(std::string_view name) {
  const auto& t = Table();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace strata::promql
