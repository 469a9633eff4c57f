#include "promql/quantile.h"

#include <algorithm>
#include <limits>

namespace strata::promql {
namespace {

// Prometheus's almostEqual: relative difference below epsilon, with care around zero.
bool AlmostEqual(double a, double b, double epsilon) {
  const double min_normal = std::numeric_limits<double>::min();  // 0x0010000000000000
  if (a == b) return true;
  const double abs_sum = std::fabs(a) + std::fabs(b);
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < min_normal) return diff < epsilon * min_normal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

}  // namespace

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return NAN;
  if (q < 0) return -HUGE_VAL;
  if (q > 1) return HUGE_VAL;
  // NaN sorts first, as in Prometheus's vectorByValueHeap.
  std::sort(values.begin(), values.end(),
            [](double a, double b) { return std::isnan(a) ? !std::isnan(b) : a < b; });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return NAN;
  if (q < 0) return -HUGE_VAL;
  if (q > 1) return HUGE_VAL;
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (buckets.empty() ||
      !(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0))
    return NAN;
  // Buckets with the same bound (e.g. "1" and "1.0") are one bucket.
  std::vector<Bucket> merged;
  for (const auto& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) {
      merged.back().count += b.count;
    } else {
      merged.push_back(b);
    }
  }
  buckets = std::move(merged);
  // Counts must not decrease; tiny differences from float errors are ignored in both directions.
  double prev = buckets[0].count;
  for (size_t i = 1; i < buckets.size(); i++) {
    const double cur = buckets[i].count;
    if (cur == prev) continue;
    if (AlmostEqual(prev, cur, 1e-12) || cur < prev) {
      buckets[i].count = prev;
      continue;
    }
    prev = cur;
  }
  if (buckets.size() < 2) return NAN;
  const double observations = buckets.back().count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  size_t b = 0;  // first bucket (excluding +Inf) whose count reaches the rank
  while (b < buckets.size() - 1 && !(buckets[b].count >= rank)) b++;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double start = 0, end = buckets[b].upper_bound, count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace strata::promql
