// The tombstones file of a block: deleted time ranges per series.
//   magic 0x0130BA30 | version 1 | (series ref uvarint, mint varint, maxt varint)* | CRC32C
// One record per interval; intervals are inclusive. A missing file means no tombstones.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace strata::tsdb {

struct Interval {
  int64_t min_time;
  int64_t max_time;
  bool Contains(int64_t t) const { return t >= min_time && t <= max_time; }
  bool operator==(const Interval&) const = default;
};
using Intervals = std::vector<Interval>;

class Tombstones {
 public:
  // Adds and merges overlapping or adjacent intervals.
  void Add(uint32_t series_ref, Interval iv);
  // Intervals of a series, sorted and disjoint; nullptr when there are none.
  const Intervals* Get(uint32_t series_ref) const;
  size_t num_intervals() const;
  bool empty() const { return by_series_.empty(); }

  std::string Encode() const;
  static Result<Tombstones> Decode(std::string_view data, std::string_view source);
  static Result<Tombstones> ReadFromDir(const std::string& block_dir);
  Status WriteToDir(const std::string& block_dir) const;

 private:
  std::map<uint32_t, Intervals> by_series_;
};

}  // namespace strata::tsdb
