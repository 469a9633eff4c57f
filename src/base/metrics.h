// Prometheus metrics for Strata's own components: counters, gauges and histograms with label
// dimensions, exposed in the text format (version 0.0.4) on /metrics. Metric names follow
// Thanos's (thanos_objstore_bucket_operations_total, ...), so existing alerts keep working.
// Thread-safety: everything here is safe for concurrent use; observations are lock-free.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata {

class Counter {
 public:
  void Inc(double v = 1) { Add(v); }
  double Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  void Add(double v) {
    double cur = v_.load(std::memory_order_relaxed);
    while (!v_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  std::atomic<double> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double v) {
    double cur = v_.load(std::memory_order_relaxed);
    while (!v_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  void SetToCurrentTime();
  double Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Get() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 buckets
  Counter sum_;
};

// Default buckets for request durations in seconds, as Thanos uses for objstore operations.
std::vector<double> DefaultDurationBuckets();

// A metric with label dimensions. WithLabelValues returns a stable reference.
template <typename M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  M& WithLabelValues(const std::vector<std::string>& values) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = children_.find(values);
    if (it == children_.end()) it = children_.emplace(values, Make()).first;
    return *it->second;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label_values, metric) for each child in label order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [values, m] : children_) fn(values, *m);
  }

 private:
  std::unique_ptr<M> Make() {
    if constexpr (std::is_same_v<M, Histogram>) {
      return std::make_unique<M>(buckets_);
    } else {
      return std::make_unique<M>();
    }
  }

  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

// Owns metric families and renders them. Registering a name twice returns the first family.
class Registry {
 public:
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels, std::vector<double> buckets);

  // The Prometheus text exposition format, families sorted by name.
  std::string Expose() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_;
};

}  // namespace strata
