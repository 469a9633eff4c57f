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

struct Matrix;

// One series: points in time order, each a timestamp and its value's text ("1.5", "NaN"). Each
// point is kept as the JSON it is written as (`,[1700000000,"1.5"]`), so writing a merged or
// cached series back is one copy.
class MatrixSeries {
 public:
  MatrixSeries() = default;
  explicit MatrixSeries(Labels l) : labels(std::move(l)) {}

  size_t size() const { return t_.size(); }
  bool empty() const { return t_.empty(); }
  int64_t t(size_t i) const { return t_[i]; }
  std::string_view value(size_t i) const;
  // The first point at or after ms (size() when none).
  size_t LowerBound(int64_t ms) const;
  void Reserve(size_t points) {
    t_.reserve(points);
    end_.reserve(points);
    text_.reserve(points * 24);
  }
  // `value` must be a number's text (IsNumberText).
  void Add(int64_t t, std::string_view value);
  // Adds points [from, to) of other.
  void Append(const MatrixSeries& other, size_t from, size_t to);
  // The "values" array: [[1700000000,"1.5"],...].
  void AppendValuesJson(std::string* out) const;

  Labels labels;

 private:
  friend std::string EncodeMatrix(const Matrix& m);
  friend Result<Matrix> DecodeMatrix(std::string_view data);

  std::vector<int64_t> t_;
  std::vector<size_t> end_;  // where each point's text ends in text_
  std::string text_;         // every point as `,[<seconds>,"<value>"]`
};

struct Matrix {
  std::vector<MatrixSeries> series;  // in Prometheus's label order
  std::vector<std::string> warnings;
};

// Whether s is a number's text as the Prometheus API writes it (digits, sign, point, exponent,
// Inf, NaN): written back between quotes as it came, it needs no escaping.
bool IsNumberText(std::string_view s);

// A successful query_range response body (resultType matrix); anything else is an error naming
// what was found. Values must be IsNumberText.
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
