// Reads a Prometheus index v2 file from memory (an mmap or a buffer). Open validates the header,
// TOC, symbol table and postings offset table (with their CRCs); series and postings lists are
// decoded on demand, bounds-checked and CRC-checked. Every error names the file and the offset.
// Thread-safe after Open.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "tsdb/index_format.h"
#include "tsdb/postings.h"

namespace strata::tsdb {

class IndexReader {
 public:
  // Maps the file at path.
  static Result<std::unique_ptr<IndexReader>> Open(const std::string& path);
  // Reads from bytes that outlive the reader; name is used in error messages.
  static Result<std::unique_ptr<IndexReader>> FromBytes(std::string_view bytes, std::string name);

  std::vector<std::string_view> LabelNames() const;
  // Sorted values of a label name (empty when the name is unknown).
  std::vector<std::string_view> LabelValues(std::string_view name) const;
  // The series list for one label pair; ("", "") is every series.
  Result<Postings> ReadPostings(std::string_view name, std::string_view value) const;
  // Series matching all matchers, with Prometheus semantics (a missing label equals "").
  Result<Postings> PostingsForMatchers(const Matchers& matchers) const;

  struct Series {
    Labels labels;
    std::vector<ChunkMeta> chunks;
  };
  Result<Series> ReadSeries(uint32_t ref) const;
  // Only the labels (skips decoding chunk metas).
  Result<Labels> ReadSeriesLabels(uint32_t ref) const;

  const IndexToc& toc() const { return toc_; }
  size_t num_symbols() const { return symbols_.size(); }
  // The symbol table: every label name and value, sorted.
  const std::vector<std::string_view>& symbols() const { return symbols_; }
  size_t size() const { return b_.size(); }
  const std::string& name() const { return name_; }

 private:
  IndexReader() = default;
  Status Init();
  Status Corrupt(uint64_t offset, std::string_view what) const;
  // Validates len|body|crc at offset and returns the body (len is 4 bytes BE).
  Result<std::string_view> Section(uint64_t offset, std::string_view what) const;
  Result<std::string_view> Symbol(uint32_t ref) const;
  // Prefixes a decoder's error with this index's name.
  Status Wrap(const Status& st) const;
  Result<Series> DecodeSeries(uint32_t ref, bool with_chunks) const;
  Result<Postings> PostingsForMatcher(const Matcher& m, bool* negate) const;

  std::string name_;
  std::string_view b_;
  MappedFile file_;  // owns b_ when opened from a path
  IndexToc toc_;
  std::vector<std::string_view> symbols_;
  struct ValueOffset {
    std::string_view value;
    uint64_t offset;
  };
  std::map<std::string_view, std::vector<ValueOffset>, std::less<>> postings_;
  uint64_t all_postings_offset_ = 0;
  bool has_all_postings_ = false;
};

}  // namespace strata::tsdb
