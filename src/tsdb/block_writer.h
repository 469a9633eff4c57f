// Builds a complete, valid Prometheus block from samples given in any series order (samples of
// one series in time order), like Prometheus's tsdb.BlockWriter: chunks of at most 120 samples,
// index, empty tombstones, meta.json (compaction level 1). The block is written under
// "<ulid>.tmp-for-creation" and renamed into place once complete, so readers never see a
// partial block. Memory: one open XOR chunk per series plus the encoded chunks. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/labels.h"
#include "base/status.h"
#include "tsdb/meta.h"
#include "tsdb/xor_chunk.h"

namespace strata::tsdb {

struct BlockWriterOptions {
  int samples_per_chunk = 120;  // Prometheus's head cuts chunks at 120 samples
};

class BlockWriter {
 public:
  explicit BlockWriter(std::string parent_dir, BlockWriterOptions opts = {});

  // Rejects invalid label sets, out-of-order samples and a second value for a timestamp
  // (an identical duplicate is ignored, as in Prometheus).
  Status Append(const Labels& labels, int64_t t, double v);
  size_t num_series() const { return series_.size(); }
  uint64_t num_samples() const { return num_samples_; }

  // Writes the block and returns its meta; thanos, when set, becomes the meta's thanos section.
  // Fails with NotFound when nothing was appended.
  Result<BlockMeta> Flush(std::optional<ThanosMeta> thanos = std::nullopt);

 private:
  struct PendingChunk {
    std::string data;
    int64_t min_time;
    int64_t max_time;
  };
  struct SeriesState {
    Labels labels;
    std::vector<PendingChunk> chunks;
    std::unique_ptr<XorAppender> open;
    int64_t open_min = 0;
    int64_t last_t = 0;
    uint64_t last_v_bits = 0;
    bool has_samples = false;
  };
  Result<SeriesState*> GetOrCreate(const Labels& labels);
  void CutChunk(SeriesState& s);

  std::string parent_dir_;
  BlockWriterOptions opts_;
  std::vector<std::unique_ptr<SeriesState>> series_;
  std::unordered_map<uint64_t, std::vector<SeriesState*>> by_hash_;
  uint64_t num_samples_ = 0;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
};

}  // namespace strata::tsdb
