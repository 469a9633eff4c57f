// The query-frontend's view of a query_range answer: the matrix of a Prometheus API response
// and its warnings. Split answers are merged, cut to the range a cache extent covers, and kept in
// the results cache in a compact binary form. Sample values stay the text the querier wrote:
// merged and cached answers are written back without parsing or formatting a float, which was
// half of the frontend's CPU on large answers, and they keep the querier's bytes exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/status.h"

namespace strata::frontend {

// One series: points in time order, each a timestamp and its value's text ("1.5", "NaN").
class MatrixSeries {
 public:
  MatrixSeries() = default;
  explicit MatrixSeries(Labels l) : labels(std::move(l)) {}

  size_t size() const { return t_.size(); }
  bool empty() const { return t_.empty(); }
  int64_t t(size_t i) const { return t_[i]; }
  std::string_view value(size_t i) const {
    const size_t from = i == 0 ? 0 : end_[i - 1];
    return std::string_view(text_).substr(from, end_[i] - from);
  }
  // The first point at or after ms (size() when none).
  size_t LowerBound(int64_t ms) const;
  void Add(int64_t t, std::string_view value);
  // Adds points [from, to) of other.
  void Append(const MatrixSeries& other, size_t from, size_t to);

  Labels labels;

 private:
  std::vector<int64_t> t_;
  std::vector<size_t> end_;  // where each value's text ends in text_
  std::string text_;
};

struct Matrix {
  std::vector<MatrixSeries> series;  // in Prometheus's label order
  std::vector<std::string> warnings;
};

// A successful query_range response body (resultType matrix); anything else is an error naming
// what was found. A value must be a number's text (digits, sign, point, exponent, Inf, NaN).
Result<Matrix> ParseMatrixResponse(std::string_view json);
// {"status":"success","data":{"resultType":"matrix",...},"warnings":[...]} as the querier writes.
std::string FormatMatrixResponse(const Matrix& m);
// Only the `data` object, {"resultType":"matrix","result":[...]}.
void AppendMatrixData(std::string* out, const Matrix& m);

// The points of m with start_ms <= t <= end_ms; series left without points are dropped.
Matrix Extract(const Matrix& m, int64_t start_ms, int64_t end_ms);
// Merges answers for adjacent or overlapping ranges: series by label set, in Prometheus's label
// order; each series' points in time order, a timestamp once (the earlier part's, as Thanos).
Matrix Merge(std::vector<Matrix> parts);

// The cache's encoding (varints, labels and points; warnings are not kept).
std::string EncodeMatrix(const Matrix& m);
Result<Matrix> DecodeMatrix(std::string_view data);

}  // namespace strata::frontend
