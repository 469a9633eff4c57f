// Thanos's binary index-header (format version 1): the store gateway's local digest of a block's
// index. It holds the index's symbol table and its postings offset table (through the index's
// TOC) copied verbatim, so label names and values, symbols and the byte ranges of postings lists
// are known without the index, whose series and postings are then read by ranged requests.
//   magic 0xBAAAD792 (4) | version 1 (1) | index version (1) | index offset of the postings
//   offset table (8) | symbol table copy | postings offset table + index TOC copy |
//   TOC: symbol table offset (8) | postings offset table offset (8) | CRC32C of those 16 bytes
// All integers big-endian. Only index version 2 (every Prometheus 2.x) is supported.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "tsdb/index_format.h"

namespace strata::tsdb {

constexpr uint32_t kIndexHeaderMagic = 0xBAAAD792;
constexpr uint8_t kIndexHeaderVersion1 = 1;
// One in this many symbols and label values is kept in memory; the rest are read from the
// mmaped file (Thanos's default sampling).
constexpr size_t kIndexHeaderSampling = 32;

// Reads `len` bytes at `offset` of the index file (for a bucket: one ranged GET).
using IndexRangeFn = std::function<Result<std::string>(uint64_t offset, uint64_t len)>;

// Builds the index-header of an index of index_size bytes at path (written to path.tmp, then
// renamed), reading only the index's header, TOC, symbol table and postings offset table, in
// pieces of at most 16 MiB. The result is opened once to validate it.
Status WriteIndexHeader(const IndexRangeFn& read, uint64_t index_size, const std::string& path);

// A mmaped index-header. Thread-safe after Open.
class IndexHeader {
 public:
  static Result<std::unique_ptr<IndexHeader>> Open(const std::string& path);

  std::vector<std::string_view> LabelNames() const;
  // Sorted values of a label name (empty when the name is unknown).
  Result<std::vector<std::string_view>> LabelValues(std::string_view name) const;

  // Where a postings list lies in the index: [start, end) holds its length, body and CRC,
  // possibly followed by unrelated bytes (the exact end is known once the length is read).
  struct Range {
    uint64_t start = 0;
    uint64_t end = 0;
  };
  // nullopt when the label pair has no series. ("", "") is the list of every series.
  Result<std::optional<Range>> PostingsRange(std::string_view name, std::string_view value) const;
  Result<std::string_view> Symbol(uint32_t ref) const;

  const IndexToc& index_toc() const { return index_toc_; }
  uint64_t index_size() const { return index_size_; }
  size_t file_size() const { return file_.size(); }

 private:
  IndexHeader() = default;
  Status Init();
  Status Corrupt(uint64_t at, std::string_view what) const;
  Status Wrap(const Status& st) const;

  MappedFile file_;
  std::string_view b_;
  IndexToc index_toc_;
  uint64_t index_size_ = 0;
  uint64_t last_posting_end_ = 0;  // index offset where the last postings list ends at the latest

  std::string_view symbols_;  // symbol table body (count + entries)
  uint64_t symbols_base_ = 0;
  uint32_t num_symbols_ = 0;
  std::vector<uint32_t> symbol_samples_;  // position in symbols_ of every kth symbol

  std::string_view table_;  // postings offset table body
  uint64_t table_base_ = 0;
  struct ValueSample {
    std::string value;
    uint32_t pos;  // entry position in table_
  };
  struct NameEntries {
    uint32_t first_pos = 0;
    uint32_t count = 0;
    std::vector<ValueSample> samples;  // every kth value and the last
  };
  std::map<std::string, NameEntries, std::less<>> names_;
  std::optional<uint32_t> all_pos_;  // entry of ("", "")
};

}  // namespace strata::tsdb
