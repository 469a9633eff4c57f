// The query-frontend's view of a query_range answer: the matrix of a Prometheus API response
// and its warnings. Split answers are merged, cut to the range a cache extent covers, and kept in
// the results cache in a compact binary form. Formatting goes through promql/json.h, so a merged
// answer has the bytes the querier would have written for the whole range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "promql/value.h"

namespace strata::frontend {

struct Matrix {
  std::vector<promql::SeriesPoints> series;  // in Prometheus's label order
  std::vector<std::string> warnings;
};

// A successful query_range response body (resultType matrix); anything else is an error naming
// what was found.
Result<Matrix> ParseMatrixResponse(std::string_view json);
// {"status":"success","data":{"resultType":"matrix",...},"warnings":[...]} as the querier writes.
// Takes the matrix: answers can be megabytes, and are not copied on the way out.
std::string FormatMatrixResponse(Matrix m);

// The points of m with start_ms <= t <= end_ms; series left without points are dropped.
Matrix Extract(const Matrix& m, int64_t start_ms, int64_t end_ms);
// Merges answers for adjacent or overlapping ranges: series by label set, in Prometheus's label
// order; each series' points in time order, a timestamp once (the earlier part's, as Thanos).
Matrix Merge(std::vector<Matrix> parts);

// The cache's encoding (varints, labels and points; warnings are not kept).
std::string EncodeMatrix(const Matrix& m);
Result<Matrix> DecodeMatrix(std::string_view data);

}  // namespace strata::frontend
