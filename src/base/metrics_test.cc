#include "base/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace strata {
namespace {

TEST(MetricsTest, ExposesTextFormat) {
  Registry r;
  auto& ops = r.AddCounter("thanos_objstore_bucket_operations_total",
                           "Total number of all attempted operations against a bucket.",
                           {"bucket", "operation"});
  ops.WithLabelValues({"b", "get"}).Inc();
  ops.WithLabelValues({"b", "get"}).Inc(2);
  ops.WithLabelValues({"b", "upload"}).Inc();
  r.AddGauge("up", "Up.").WithLabelValues({}).Set(1);
  auto& h = r.AddHistogram("dur_seconds", "Durations.", {"op"}, {0.1, 1});
  h.WithLabelValues({"x\"y"}).Observe(0.05);
  h.WithLabelValues({"x\"y"}).Observe(5);
  EXPECT_EQ(r.Expose(),
            "# HELP dur_seconds Durations.\n"
            "# TYPE dur_seconds histogram\n"
            "dur_seconds_bucket{op=\"x\\\"y\",le=\"0.1\"} 1\n"
            "dur_seconds_bucket{op=\"x\\\"y\",le=\"1\"} 1\n"
            "dur_seconds_bucket{op=\"x\\\"y\",le=\"+Inf\"} 2\n"
            "dur_seconds_sum{op=\"x\\\"y\"} 5.05\n"
            "dur_seconds_count{op=\"x\\\"y\"} 2\n"
            "# HELP thanos_objstore_bucket_operations_total Total number of all attempted "
            "operations against a bucket.\n"
            "# TYPE thanos_objstore_bucket_operations_total counter\n"
            "thanos_objstore_bucket_operations_total{bucket=\"b\",operation=\"get\"} 3\n"
            "thanos_objstore_bucket_operations_total{bucket=\"b\",operation=\"upload\"} 1\n"
            "# HELP up Up.\n"
            "# TYPE up gauge\n"
            "up 1\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& c = r.AddCounter("c", "c", {"l"});
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; i++) {
    ts.emplace_back([&] {
      for (int k = 0; k < 10000; k++) c.WithLabelValues({"a"}).Inc();
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.WithLabelValues({"a"}).Value(), 40000);
}

}  // namespace
}  // namespace strata
