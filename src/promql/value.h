// Query results, shaped like Prometheus's: a scalar, a string, an instant vector (one sample per
// series at the evaluation time) or a matrix (points per series over time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/labels.h"
#include "promql/ast.h"

namespace strata::promql {

struct Point {
  int64_t t;
  double v;
};

struct SeriesPoints {
  Labels labels;
  std::vector<Point> points;
};

struct VectorSample {
  Labels labels;
  int64_t t;
  double v;
};

struct QueryResult {
  ValueType type = ValueType::kNone;  // kScalar, kString, kVector or kMatrix
  int64_t t = 0;                      // scalar and string: the evaluation time
  double scalar = 0;
  std::string str;
  std::vector<VectorSample> vector;  // in the engine's output order (as Prometheus returns it)
  std::vector<SeriesPoints> matrix;  // range queries: sorted by labels
  std::vector<std::string> warnings;
  // What the query read from storage: series selected and their samples in the ranges read
  // (Thanos's query telemetry).
  int64_t series_read = 0;
  int64_t samples_read = 0;
};

}  // namespace strata::promql
