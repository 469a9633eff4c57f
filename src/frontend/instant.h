// Instant query answers of vertical shards, merged as Thanos's frontend merges them: one
// sample per label set; topk/bottomk keep the shards' order, sort/sort_desc order by value,
// anything else by label set.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "frontend/matrix.h"
#include "promql/ast.h"
#include "promql/value.h"

namespace strata::frontend {

struct InstantAnswer {
  promql::QueryResult result;  // a vector, or a matrix kept in `matrix`
  Matrix matrix;
  std::vector<std::string> warnings;
};

Result<InstantAnswer> ParseInstantResponse(std::string_view body);
InstantAnswer MergeInstant(std::vector<InstantAnswer> parts, const promql::Expr& query);
std::string FormatInstantResponse(const InstantAnswer& a);

}  // namespace strata::frontend
