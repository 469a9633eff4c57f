// Numeric kernels shared by aggregations and functions, written to give the same floating-point
// results as Prometheus 2.53 (same operation order, Kahan-Neumaier compensation where it uses it).
#pragma once

#include <cmath>
#include <vector>

namespace strata::promql {

// Neumaier's improved Kahan summation step: *sum += inc, accumulating the lost low bits in *c.
inline void KahanAdd(double inc, double* sum, double* c) {
  const double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// The running mean after adding x as the count-th value, dividing before subtracting so large
// values do not overflow; infinities stay put (Prometheus's avg aggregation).
inline double IncrementalMean(double mean, double x, double count) {
  if (std::isinf(mean)) {
    if (std::isinf(x) && (mean > 0) == (x > 0)) return mean;
    if (!std::isinf(x) && !std::isnan(x)) return mean;
  }
  return mean + (x / count - mean / count);
}

// Go's math.Max / math.Min: NaN wins, and +0 > -0.
inline double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  if (a == 0 && a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
inline double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return NAN;
  if (a == 0 && a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// The q-quantile of the values by linear interpolation between closest ranks (the quantile
// aggregation and quantile_over_time). NaN for no values or q NaN; -Inf/+Inf for q < 0 / q > 1.
// Reorders `values`.
double Quantile(double q, std::vector<double>& values);

struct Bucket {
  double upper_bound;
  double count;
};
// histogram_quantile over classic buckets: sorts and merges buckets, requires a +Inf bucket,
// repairs non-monotonic counts, interpolates linearly inside the bucket holding the rank.
double BucketQuantile(double q, std::vector<Bucket>& buckets);

}  // namespace strata::promql
