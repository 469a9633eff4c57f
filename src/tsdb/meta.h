// meta.json of a block: Prometheus's fields (version 1) plus Thanos's "thanos" section.
// Fields this version does not know are kept and written back unchanged, so a newer Prometheus
// or Thanos can round-trip its metadata through Strata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/status.h"
#include "base/ulid.h"

namespace strata::tsdb {

struct BlockStats {
  uint64_t num_samples = 0;
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_tombstones = 0;
};

struct BlockDesc {
  Ulid ulid;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

struct BlockCompaction {
  int level = 1;
  std::vector<Ulid> sources;
  std::vector<BlockDesc> parents;
  bool failed = false;
  bool deletable = false;
};

struct ThanosFile {
  std::string rel_path;
  int64_t size_bytes = 0;
  // Thanos's optional "hash": {"hashFunc": "SHA256", "value": hex} (--hash-func); empty: none.
  std::string hash_func;
  std::string hash_value;
};

// Thanos's block metadata (pkg/block/metadata).
struct ThanosMeta {
  int version = 1;
  Labels labels;
  int64_t downsample_resolution = 0;  // 0, 300000 or 3600000 ms
  std::string source;                 // "sidecar", "compactor", "receive", ...
  std::vector<std::string> segment_files;
  std::vector<ThanosFile> files;
  int64_t series_max_size = 0;  // index_stats
  int64_t chunk_max_size = 0;
};

struct BlockMeta {
  Ulid ulid;
  int64_t min_time = 0;  // inclusive
  int64_t max_time = 0;  // exclusive
  BlockStats stats;
  BlockCompaction compaction;
  int version = 1;
  std::optional<ThanosMeta> thanos;

  // The JSON document it was parsed from, for preserving unknown fields.
  std::string original_json;
};

// Parses meta.json; `source` names the file in errors.
Result<BlockMeta> ParseBlockMeta(std::string_view json, std::string_view source);
// Tab-indented JSON like Prometheus's json.MarshalIndent, unknown fields preserved.
std::string SerializeBlockMeta(const BlockMeta& meta);

Result<BlockMeta> ReadBlockMeta(const std::string& block_dir);
// Atomically (temp file + rename) writes <block_dir>/meta.json.
Status WriteBlockMeta(const std::string& block_dir, const BlockMeta& meta);

}  // namespace strata::tsdb
