// Writes a block series by series, in label order, with chunks already encoded: chunks go to the
// segment files at once and only the index's per-series postings stay in memory, so memory is
// bounded by the series count, never by the samples. The compactor streams merged series through
// it; BlockWriter uses it for its final write. The block is built in <ulid>.tmp-for-creation and
// appears under parent/<ulid> only when Finish succeeds (the temporary directory is removed on
// failure or when the writer is dropped unfinished). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/status.h"
#include "tsdb/chunk_file.h"
#include "tsdb/index_writer.h"
#include "tsdb/meta.h"

namespace strata::tsdb {

struct EncodedChunk {
  int64_t min_time = 0;
  int64_t max_time = 0;  // inclusive
  uint8_t encoding = 1;  // ChunkEncoding::kXor
  std::string_view data;
  std::optional<uint32_t> crc;  // known CRC32C of encoding + data (a chunk copied as read)
};

class SeriesWriter {
 public:
  // sorted_symbols: every label name and value of the series to come, sorted and unique.
  static Result<std::unique_ptr<SeriesWriter>> Create(
      const std::string& parent_dir, Ulid ulid, const std::vector<std::string>& sorted_symbols);
  ~SeriesWriter();

  // Series in CompareLabels order, no duplicates, chunks in time order.
  Status AddSeries(const Labels& labels, const std::vector<EncodedChunk>& chunks);
  // Completes the block: meta's ulid is set, its stats filled in (samples from the chunk
  // headers), thanos.segment_files listed when a thanos section is present; then the directory
  // is synced and renamed into place.
  Result<BlockMeta> Finish(BlockMeta meta);

 private:
  SeriesWriter(std::string parent, Ulid ulid);

  std::string parent_, tmp_dir_, final_dir_;
  Ulid ulid_;
  std::unique_ptr<ChunkWriter> chunks_;
  std::unique_ptr<IndexWriter> index_;
  BlockStats stats_;
  std::vector<ChunkMeta> metas_;
  bool finished_ = false;
};

}  // namespace strata::tsdb
