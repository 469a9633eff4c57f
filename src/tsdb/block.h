// A persisted block opened for reading: meta.json, the mmaped index and chunk segments, and the
// tombstones. Select resolves matchers to series with their chunks in a time range; a
// ChunkSeriesIterator then decodes the samples, honouring the range and the tombstones.
// Thread-safe after Open (readers share the mmaps).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/matcher.h"
#include "base/status.h"
#include "tsdb/chunk_file.h"
#include "tsdb/index_reader.h"
#include "tsdb/meta.h"
#include "tsdb/tombstones.h"
#include "tsdb/xor_chunk.h"

namespace strata::tsdb {

// One selected series: labels, the chunks overlapping the range, deleted intervals.
struct SeriesChunks {
  Labels labels;
  std::vector<ChunkMeta> chunks;
  Intervals deleted;
};

class Block {
 public:
  static Result<std::unique_ptr<Block>> Open(const std::string& dir);

  const BlockMeta& meta() const { return meta_; }
  const IndexReader& index() const { return *index_; }
  const ChunkReader& chunks() const { return chunks_; }
  const Tombstones& tombstones() const { return tombstones_; }
  const std::string& dir() const { return dir_; }

  // Series matching all matchers with at least one chunk in [mint, maxt], in label order.
  Result<std::vector<SeriesChunks>> Select(const Matchers& matchers, int64_t mint,
                                           int64_t maxt) const;

 private:
  Block() = default;
  std::string dir_;
  BlockMeta meta_;
  std::unique_ptr<IndexReader> index_;
  ChunkReader chunks_;
  Tombstones tombstones_;
};

// Iterates the samples of one series in [mint, maxt], skipping deleted intervals. Chunks are
// read lazily; a corrupt or unsupported chunk stops iteration with status() set.
class ChunkSeriesIterator {
 public:
  ChunkSeriesIterator(const ChunkReader* reader, const SeriesChunks* series, int64_t mint,
                      int64_t maxt)
      : reader_(reader), series_(series), mint_(mint), maxt_(maxt) {}

  bool Next();
  bool Seek(int64_t t);
  int64_t t() const { return it_.t(); }
  double v() const { return it_.v(); }
  const Status& status() const { return status_; }

 private:
  bool OpenNextChunk();
  bool Deleted(int64_t t) const;

  const ChunkReader* reader_;
  const SeriesChunks* series_;
  int64_t mint_, maxt_;
  size_t next_chunk_ = 0;
  bool open_ = false;
  XorIterator it_;
  Status status_;
};

// Lists the block directories (names that are ULIDs and hold a meta.json) under a data dir.
Result<std::vector<std::string>> ListBlockDirs(const std::string& data_dir);

}  // namespace strata::tsdb
