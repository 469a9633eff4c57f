// Label sets: the identity of a series. Labels are kept sorted by name, with unique names,
// exactly as Prometheus's labels.Labels, so ordering and hashing agree with the TSDB index.
// Thread-safety: immutable values after construction.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace strata {

constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name; on duplicate names the last value wins.
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromSorted(std::vector<Label> sorted) {
    Labels l;
    l.v_ = std::move(sorted);
    return l;
  }
  static Labels FromUnsorted(std::vector<Label> labels);

  // The value for name, or "" when absent (Prometheus treats both the same).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  auto begin() const { return v_.begin(); }
  auto end() const { return v_.end(); }
  const Label& operator[](size_t i) const { return v_[i]; }
  const std::vector<Label>& vec() const { return v_; }

  uint64_t Hash() const;
  // {__name__="up", job="x"}: names bare, values quoted like Go's strconv.Quote.
  std::string String() const;
  // Copies with one label set or removed (value "" removes).
  Labels With(std::string_view name, std::string_view value) const;
  Labels Without(std::string_view name) const;

  bool operator==(const Labels&) const = default;

 private:
  std::vector<Label> v_;
};

// Prometheus's labels.Compare: pairwise by name then value, then by length.
int CompareLabels(const Labels& a, const Labels& b);
inline bool operator<(const Labels& a, const Labels& b) { return CompareLabels(a, b) < 0; }

// Thanos's ShardInfo (vertical query sharding): a series belongs to shard
// hash % total, the hash taken over the `labels` names (by) or over every label but them and
// __name__ (without), as Prometheus's HashForLabels / HashWithoutLabels (xxHash64 of
// name 0xff value 0xff ...), so that Thanos and Strata components pick the same series.
struct ShardInfo {
  int64_t index = 0;
  int64_t total = 0;  // 0 or 1: not sharded
  bool by = false;
  std::vector<std::string> labels;
  bool enabled() const { return total > 1; }
  bool Matches(const Labels& series) const;
};

// [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidLabelName(std::string_view name);
// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// Sorted, unique, valid names, no empty values: what a stored series must look like.
Status ValidateLabels(const Labels& labels);

}  // namespace strata
