// Writes a Prometheus index v2 file. Usage: Create, AddSymbols (all symbols, once), AddSeries in
// label-set order, Close. Sections are laid out as Prometheus writes them: symbols, 16-byte
// aligned series, one label index per name, postings (the all-series list first, keyed "",""),
// label offset table, postings offset table, TOC. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/file.h"
#include "base/labels.h"
#include "base/status.h"
#include "tsdb/index_format.h"

namespace strata::tsdb {

class IndexWriter {
 public:
  static Result<std::unique_ptr<IndexWriter>> Create(const std::string& path);

  // The sorted, de-duplicated strings of every label name and value of the series to come.
  Status AddSymbols(const std::vector<std::string>& sorted_symbols);
  // Series must come in CompareLabels order, without duplicates; chunk refs must increase.
  Status AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks);
  Status Close();

 private:
  explicit IndexWriter(BufferedFile f) : f_(std::move(f)) {}
  Result<uint32_t> SymbolRef(const std::string& s) const;
  Status WriteSection(std::string_view body, bool varint_len);
  Status WriteLabelIndices();
  Status WritePostings();
  Status WriteOffsetTables();
  Status WriteToc();

  BufferedFile f_;
  IndexToc toc_;
  std::unordered_map<std::string, uint32_t> symbol_refs_;
  std::vector<std::string> symbols_;
  Labels last_;
  uint64_t last_chunk_ref_ = 0;
  uint32_t num_series_ = 0;
  std::vector<uint32_t> all_series_;
  // name symbol -> value symbol -> series refs. Symbol refs order like the strings.
  std::map<uint32_t, std::map<uint32_t, std::vector<uint32_t>>> postings_;
  std::vector<std::pair<uint32_t, uint64_t>> label_index_offsets_;  // name symbol, offset
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint64_t>> postings_offsets_;
  uint64_t all_postings_offset_ = 0;
  bool closed_ = false;
};

}  // namespace strata::tsdb
