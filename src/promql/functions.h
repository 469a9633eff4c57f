// The PromQL function table: names, argument and return types as Prometheus 2.53 defines them.
// The implementations live with the engine (eval_functions.cc).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "promql/ast.h"

namespace strata::promql {

struct Function {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() arguments. n > 0: the last n of arg_types may be omitted...
  // as in Prometheus: between size()-1 and size()-1+variadic arguments; -1: no upper bound,
  // extra arguments take the last type.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  bool experimental = false;  // needs promql-experimental-functions in Prometheus
  bool extended = false;      // Thanos's xrate/xincrease/xdelta: only with enable_x_functions
};

// nullptr when there is no function of that name.
const Function* LookupFunction(std::string_view name);

// Functions whose value depends on the evaluation time even when their arguments do not, so
// they are never evaluated once for all steps (Prometheus's AtModifierUnsafeFunctions).
bool IsTimeDependentFunction(std::string_view name);

// Thanos's engine looks this far back before a range for xrate/xincrease/xdelta's first point.
inline constexpr int64_t kExtendedLookbackMs = 60 * 60 * 1000;
bool IsExtendedRangeFunction(std::string_view name);

}  // namespace strata::promql
