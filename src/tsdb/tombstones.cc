#include "tsdb/tombstones.h"

#include <algorithm>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "base/file.h"

namespace strata::tsdb {
namespace {
constexpr uint32_t kTombstonesMagic = 0x0130BA30;
constexpr size_t kHeaderSize = 5;
}  // namespace

void Tombstones::Add(uint32_t series_ref, Interval iv) {
  Intervals& ivs = by_series_[series_ref];
  ivs.push_back(iv);
  std::sort(ivs.begin(), ivs.end(),
            [](const Interval& a, const Interval& b) { return a.min_time < b.min_time; });
  Intervals merged;
  for (const Interval& i : ivs) {
    if (!merged.empty() && i.min_time <= merged.back().max_time + 1) {
      merged.back().max_time = std::max(merged.back().max_time, i.max_time);
    } else {
      merged.push_back(i);
    }
  }
  ivs = std::move(merged);
}

const Intervals* Tombstones::Get(uint32_t series_ref) const {
  auto it = by_series_.find(series_ref);
  return it == by_series_.end() ? nullptr : &it->second;
}

size_t Tombstones::num_intervals() const {
  size_t n = 0;
  for (const auto& [ref, ivs] : by_series_) n += ivs.size();
  return n;
}

std::string Tombstones::Encode() const {
  Encoder e;
  e.PutBe32(kTombstonesMagic);
  e.PutByte(1);
  for (const auto& [ref, ivs] : by_series_) {
    for (const Interval& iv : ivs) {
      e.PutUvarint(ref);
      e.PutVarint(iv.min_time);
      e.PutVarint(iv.max_time);
    }
  }
  uint32_t crc = Crc32c(std::string_view(e.buf()).substr(kHeaderSize));
  e.PutBe32(crc);
  return e.buf();
}

Result<Tombstones> Tombstones::Decode(std::string_view data, std::string_view source) {
  auto corrupt = [&](size_t off, const std::string& what) {
    return Status::Corruption("tombstones " + std::string(source) + " at offset " +
                              std::to_string(off) + ": " + what);
  };
  if (data.size() < kHeaderSize + 4) return corrupt(0, "file too short");
  if (LoadBe32(data.data()) != kTombstonesMagic) return corrupt(0, "invalid magic number");
  if (data[4] != 1) return corrupt(4, "unsupported version " + std::to_string(data[4]));
  std::string_view body = data.substr(kHeaderSize, data.size() - kHeaderSize - 4);
  if (Crc32c(body) != LoadBe32(data.data() + data.size() - 4)) {
    return corrupt(data.size() - 4, "checksum mismatch");
  }
  Tombstones t;
  Decoder d(body);
  while (d.remaining() > 0) {
    uint64_t ref = d.Uvarint();
    int64_t mint = d.Varint();
    int64_t maxt = d.Varint();
    if (!d.ok()) return corrupt(kHeaderSize + d.offset(), d.Error());
    if (ref > UINT32_MAX) return corrupt(kHeaderSize + d.offset(), "series reference too large");
    t.Add(static_cast<uint32_t>(ref), Interval{mint, maxt});
  }
  return t;
}

Result<Tombstones> Tombstones::ReadFromDir(const std::string& block_dir) {
  const std::string path = block_dir + "/tombstones";
  auto data = ReadFile(path);
  if (!data.ok()) {
    if (data.status().IsNotFound()) return Tombstones();
    return data.status();
  }
  return Decode(*data, path);
}

Status Tombstones::WriteToDir(const std::string& block_dir) const {
  return WriteFileSynced(block_dir + "/tombstones", Encode());
}

}  // namespace strata::tsdb
