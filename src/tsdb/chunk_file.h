// Chunk segment files (<block>/chunks/000001, ...): header magic 0x85BD40DD, version 1, 3 bytes
// padding, then chunks of  uvarint len | encoding byte | data | CRC32C(encoding+data).
// A chunk reference is (segment index << 32) | byte offset, segment index counted from 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "base/status.h"

namespace strata::tsdb {

constexpr uint32_t kChunksMagic = 0x85BD40DD;
constexpr size_t kChunksHeaderSize = 8;
constexpr uint64_t kDefaultSegmentSize = 512ull << 20;

struct ChunkRef {
  static uint64_t Make(uint32_t segment, uint32_t offset) {
    return (uint64_t{segment} << 32) | offset;
  }
  static uint32_t Segment(uint64_t ref) { return static_cast<uint32_t>(ref >> 32); }
  static uint32_t Offset(uint64_t ref) { return static_cast<uint32_t>(ref); }
};

// Appends chunks to numbered segment files, cutting a new file before one would exceed the
// segment size. Not thread-safe.
class ChunkWriter {
 public:
  explicit ChunkWriter(std::string dir, uint64_t segment_size = kDefaultSegmentSize)
      : dir_(std::move(dir)), segment_size_(segment_size) {}
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // Writes one chunk and returns its reference. crc, when given, is the chunk's checksum as
  // verified on reading it (a chunk copied unchanged needs no second computation).
  Result<uint64_t> Write(uint8_t encoding, std::string_view data,
                         std::optional<uint32_t> crc = std::nullopt);
  // Flushes, fsyncs and closes the current segment.
  Status Close();
  // Names of the segment files written so far ("000001", ...).
  const std::vector<std::string>& segment_names() const { return names_; }

 private:
  Status Cut();

  std::string dir_;
  uint64_t segment_size_;
  BufferedFile file_;
  Encoder head_;  // scratch for a chunk's length and encoding
  bool open_ = false;
  std::vector<std::string> names_;
};

// A decoded chunk: its encoding byte and data, pointing into the mmaped segment.
struct ChunkData {
  uint8_t encoding = 0;
  std::string_view data;
  uint32_t crc = 0;  // CRC32C of encoding + data, verified (set by DecodeChunk)
};

// Decodes the chunk at the start of b; `where` prefixes errors (file and offset). When b ends
// before the chunk does, returns kOutOfRange and sets *need to the chunk's full size in bytes
// (0 when even its length is cut off), so a caller reading ranges can read more.
Result<ChunkData> DecodeChunk(std::string_view b, const std::string& where, size_t* need);

// Opens the segment files of a block's chunks directory (mmaped) and resolves references.
// Thread-safe after Open.
class ChunkReader {
 public:
  static Result<ChunkReader> Open(const std::string& dir);
  // Bounds-checked; verifies the CRC. Errors name the segment file and offset.
  Result<ChunkData> Chunk(uint64_t ref) const;
  // Gives back the memory of every chunk before ref (segments before its own, and its own up
  // to it), for a reader that goes through the chunks in order, as a compaction does.
  void DropBefore(uint64_t ref) const;
  size_t num_segments() const { return segments_.size(); }
  uint64_t total_size() const;

 private:
  std::vector<MappedFile> segments_;
};

// "000001" for index 1.
std::string SegmentName(uint32_t index);

}  // namespace strata::tsdb
