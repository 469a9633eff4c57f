#include "objstore/wrappers.h"

#include <chrono>

namespace strata::objstore {
namespace {

class PrefixedBucket : public Bucket {
 public:
  PrefixedBucket(std::unique_ptr<Bucket> inner, std::string prefix)
      : inner_(std::move(inner)), prefix_(std::move(prefix)) {}

  std::string Name() const override { return inner_->Name(); }
  Status Iter(std::string_view dir, const IterFn& fn, bool recursive) override {
    return inner_->Iter(
        Full(dir), [&](const std::string& n) { return fn(n.substr(prefix_.size() + 1)); },
        recursive);
  }
  Result<std::string> Get(std::string_view name) override { return inner_->Get(Full(name)); }
  Result<std::string> GetRange(std::string_view name, int64_t off, int64_t len) override {
    return inner_->GetRange(Full(name), off, len);
  }
  Result<bool> Exists(std::string_view name) override { return inner_->Exists(Full(name)); }
  Result<ObjectAttributes> Attributes(std::string_view name) override {
    return inner_->Attributes(Full(name));
  }
  Status Upload(std::string_view name, std::string_view data) override {
    return inner_->Upload(Full(name), data);
  }
  Status UploadFile(std::string_view name, const std::string& path) override {
    return inner_->UploadFile(Full(name), path);
  }
  Status Download(std::string_view name, const std::string& path) override {
    return inner_->Download(Full(name), path);
  }
  Status Delete(std::string_view name) override { return inner_->Delete(Full(name)); }

 private:
  std::string Full(std::string_view name) const { return prefix_ + "/" + std::string(name); }

  std::unique_ptr<Bucket> inner_;
  std::string prefix_;
};

class MetricsBucket : public Bucket {
 public:
  MetricsBucket(std::unique_ptr<Bucket> inner, Registry* r)
      : inner_(std::move(inner)),
        name_(inner_->Name()),
        ops_(r->AddCounter("thanos_objstore_bucket_operations_total",
                           "Total number of all attempted operations against a bucket.",
                           {"bucket", "operation"})),
        failures_(r->AddCounter("thanos_objstore_bucket_operation_failures_total",
                                "Total number of operations against a bucket that failed, but "
                                "were not expected to fail in certain way from caller perspective.",
                                {"bucket", "operation"})),
        durations_(r->AddHistogram("thanos_objstore_bucket_operation_duration_seconds",
                                   "Duration of successful operations against the bucket",
                                   {"bucket", "operation"}, DefaultDurationBuckets())),
        last_upload_(r->AddGauge("thanos_objstore_bucket_last_successful_upload_time",
                                 "Second timestamp of the last successful upload to the bucket.",
                                 {"bucket"})) {
    // Pre-create every series, as Thanos does, so dashboards show zeros instead of gaps.
    for (const char* op :
         {"iter", "get", "get_range", "exists", "attributes", "upload", "delete"}) {
      ops_.WithLabelValues({name_, op});
      failures_.WithLabelValues({name_, op});
    }
    last_upload_.WithLabelValues({name_});
  }

  std::string Name() const override { return name_; }
  Status Iter(std::string_view dir, const IterFn& fn, bool recursive) override {
    return Observe("iter", [&] { return inner_->Iter(dir, fn, recursive); });
  }
  Result<std::string> Get(std::string_view name) override {
    return ObserveResult("get", [&] { return inner_->Get(name); });
  }
  Result<std::string> GetRange(std::string_view name, int64_t off, int64_t len) override {
    return ObserveResult("get_range", [&] { return inner_->GetRange(name, off, len); });
  }
  Result<bool> Exists(std::string_view name) override {
    return ObserveResult("exists", [&] { return inner_->Exists(name); });
  }
  Result<ObjectAttributes> Attributes(std::string_view name) override {
    return ObserveResult("attributes", [&] { return inner_->Attributes(name); });
  }
  Status Upload(std::string_view name, std::string_view data) override {
    return Uploaded(Observe("upload", [&] { return inner_->Upload(name, data); }));
  }
  Status UploadFile(std::string_view name, const std::string& path) override {
    return Uploaded(Observe("upload", [&] { return inner_->UploadFile(name, path); }));
  }
  Status Download(std::string_view name, const std::string& path) override {
    return Observe("get", [&] { return inner_->Download(name, path); });
  }
  Status Delete(std::string_view name) override {
    return Observe("delete", [&] { return inner_->Delete(name); });
  }

 private:
  template <typename Fn>
  Status Observe(const char* op, Fn fn) {
    auto start = std::chrono::steady_clock::now();
    Status st = fn();
    Record(op, st, start);
    return st;
  }
  template <typename Fn>
  auto ObserveResult(const char* op, Fn fn) -> decltype(fn()) {
    auto start = std::chrono::steady_clock::now();
    auto r = fn();
    Record(op, r.status(), start);
    return r;
  }
  void Record(const char* op, const Status& st, std::chrono::steady_clock::time_point start) {
    ops_.WithLabelValues({name_, op}).Inc();
    if (!st.ok() && !st.IsNotFound()) failures_.WithLabelValues({name_, op}).Inc();
    if (st.ok()) {
      durations_.WithLabelValues({name_, op})
          .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  Status Uploaded(Status st) {
    if (st.ok()) last_upload_.WithLabelValues({name_}).SetToCurrentTime();
    return st;
  }

  std::unique_ptr<Bucket> inner_;
  std::string name_;
  Family<Counter>& ops_;
  Family<Counter>& failures_;
  Family<Histogram>& durations_;
  Family<Gauge>& last_upload_;
};

}  // namespace

std::unique_ptr<Bucket> WithPrefix(std::unique_ptr<Bucket> inner, std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  if (prefix.empty()) return inner;
  return std::make_unique<PrefixedBucket>(std::move(inner), std::move(prefix));
}

std::unique_ptr<Bucket> WithMetrics(std::unique_ptr<Bucket> inner, Registry* registry) {
  return std::make_unique<MetricsBucket>(std::move(inner), registry);
}

}  // namespace strata::objstore
