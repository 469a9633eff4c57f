// Constants and small types of the Prometheus index v2 format (see the index writer/reader).
#pragma once

#include <cstdint>
#include <vector>

#include "base/labels.h"

namespace strata::tsdb {

constexpr uint32_t kIndexMagic = 0xBAAAD700;
constexpr uint8_t kIndexVersion2 = 2;
constexpr size_t kIndexHeaderSize = 5;
constexpr size_t kIndexTocSize = 6 * 8 + 4;
constexpr size_t kSeriesAlignment = 16;  // series ID = byte offset / 16

// Where a chunk lives and which time range it covers (both ends inclusive).
struct ChunkMeta {
  uint64_t ref = 0;
  int64_t min_time = 0;
  int64_t max_time = 0;
  bool operator==(const ChunkMeta&) const = default;
};

struct IndexToc {
  uint64_t symbols = 0;
  uint64_t series = 0;
  uint64_t label_indices = 0;
  uint64_t label_offset_table = 0;
  uint64_t postings = 0;
  uint64_t postings_offset_table = 0;
};

}  // namespace strata::tsdb
