#include "base/metrics.h"

#include <algorithm>

#include "base/go_format.h"
#include "base/timestamp.h"

namespace strata {

void Gauge::SetToCurrentTime() { Set(static_cast<double>(NowMs()) / 1000.0); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); i++) counts_[i] = 0;
}

void Histogram::Observe(double v) {
  size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.Inc(v);
}

Histogram::Snapshot Histogram::Get() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); i++) {
    acc += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.count = acc;
  s.sum = sum_.Value();
  return s;
}

std::vector<double> DefaultDurationBuckets() {
  return {0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120};
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = counters_[name];
  if (!f) f = std::make_unique<Family<Counter>>(name, help, std::move(labels));
  return *f;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = gauges_[name];
  if (!f) f = std::make_unique<Family<Gauge>>(name, help, std::move(labels));
  return *f;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels,
                                          std::vector<double> buckets) {
  std::lock_guard<std::mutex> l(mu_);
  auto& f = histograms_[name];
  if (!f)
    f = std::make_unique<Family<Histogram>>(name, help, std::move(labels), std::move(buckets));
  return *f;
}

namespace {

// Label values escaped as the text format wants: backslash, double quote, newline.
std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelString(const std::vector<std::string>& names,
                        const std::vector<std::string>& values, const std::string& extra_name = "",
                        const std::string& extra_value = "") {
  std::string s;
  for (size_t i = 0; i < names.size() && i < values.size(); i++) {
    s += s.empty() ? "{" : ",";
    s += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    s += s.empty() ? "{" : ",";
    s += extra_name + "=\"" + extra_value + "\"";
  }
  if (!s.empty()) s += "}";
  return s;
}

std::string FormatValue(double v) { return GoFormatFloat(v); }

void Header(std::string* out, const std::string& name, const std::string& help, const char* type) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string Registry::Expose() const {
  std::lock_guard<std::mutex> l(mu_);
  // name -> rendered block, so all types come out sorted by name together.
  std::map<std::string, std::string> blocks;
  for (const auto& entry : counters_) {
    const std::string& name = entry.first;  // not a structured binding: lambdas capture it
    const auto& f = entry.second;
    std::string& b = blocks[name];
    Header(&b, name, f->help(), "counter");
    f->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      b += name + LabelString(f->label_names(), values) + " " + FormatValue(c.Value()) + "\n";
    });
  }
  for (const auto& entry : gauges_) {
    const std::string& name = entry.first;  // not a structured binding: lambdas capture it
    const auto& f = entry.second;
    std::string& b = blocks[name];
    Header(&b, name, f->help(), "gauge");
    f->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      b += name + LabelString(f->label_names(), values) + " " + FormatValue(g.Value()) + "\n";
    });
  }
  for (const auto& entry : histograms_) {
    const std::string& name = entry.first;  // not a structured binding: lambdas capture it
    const auto& f = entry.second;
    std::string& b = blocks[name];
    Header(&b, name, f->help(), "histogram");
    f->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
      Histogram::Snapshot s = h.Get();
      for (size_t i = 0; i < s.bounds.size(); i++) {
        b += name + "_bucket" +
             LabelString(f->label_names(), values, "le", FormatValue(s.bounds[i])) + " " +
             std::to_string(s.cumulative[i]) + "\n";
      }
      b += name + "_bucket" + LabelString(f->label_names(), values, "le", "+Inf") + " " +
           std::to_string(s.count) + "\n";
      b += name + "_sum" + LabelString(f->label_names(), values) + " " + FormatValue(s.sum) + "\n";
      b += name + "_count" + LabelString(f->label_names(), values) + " " + std::to_string(s.count) +
           "\n";
    });
  }
  std::string out;
  for (const auto& [name, b] : blocks) out += b;
  return out;
}

}  // namespace strata
