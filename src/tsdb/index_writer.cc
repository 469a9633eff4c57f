#include "tsdb/index_writer.h"

#include "base/crc32c.h"
#include "base/encoding.h"

namespace strata::tsdb {

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(BufferedFile f, BufferedFile::Create(path));
  auto w = std::unique_ptr<IndexWriter>(new IndexWriter(std::move(f)));
  Encoder e;
  e.PutBe32(kIndexMagic);
  e.PutByte(kIndexVersion2);
  STRATA_RETURN_IF_ERROR(w->f_.Write(e.buf()));
  return w;
}

// Writes len | body | CRC32C(body); len is 4 bytes big-endian or (for series) a uvarint.
Status IndexWriter::WriteSection(std::string_view body, bool varint_len) {
  Encoder e;
  if (varint_len) {
    e.PutUvarint(body.size());
  } else {
    e.PutBe32(static_cast<uint32_t>(body.size()));
  }
  STRATA_RETURN_IF_ERROR(f_.Write(e.buf()));
  STRATA_RETURN_IF_ERROR(f_.Write(body));
  e.Reset();
  e.PutBe32(Crc32c(body));
  return f_.Write(e.buf());
}

Status IndexWriter::AddSymbols(const std::vector<std::string>& sorted_symbols) {
  if (!symbols_.empty() || num_series_ > 0) return Status::Internal("index symbols added twice");
  for (size_t i = 1; i < sorted_symbols.size(); i++) {
    if (sorted_symbols[i - 1] >= sorted_symbols[i]) {
      return Status::InvalidArgument("index symbols not sorted or not unique at \"" +
                                     sorted_symbols[i] + "\"");
    }
  }
  toc_.symbols = f_.pos();
  Encoder e;
  e.PutBe32(static_cast<uint32_t>(sorted_symbols.size()));
  for (size_t i = 0; i < sorted_symbols.size(); i++) {
    e.PutUvarintStr(sorted_symbols[i]);
    symbol_refs_.emplace(sorted_symbols[i], static_cast<uint32_t>(i));
  }
  symbols_ = sorted_symbols;
  STRATA_RETURN_IF_ERROR(WriteSection(e.buf(), false));
  toc_.series = f_.pos();
  return Status::OK();
}

Result<uint32_t> IndexWriter::SymbolRef(const std::string& s) const {
  auto it = symbol_refs_.find(s);
  if (it == symbol_refs_.end()) return Status::InvalidArgument("symbol \"" + s + "\" not added");
  return it->second;
}

Status IndexWriter::AddSeries(const Labels& labels, const std::vector<ChunkMeta>& chunks) {
  if (num_series_ > 0 && CompareLabels(last_, labels) >= 0) {
    return Status::InvalidArgument("series " + labels.String() + " added out of order after " +
                                   last_.String());
  }
  STRATA_RETURN_IF_ERROR(f_.Pad(kSeriesAlignment));
  uint64_t ref64 = f_.pos() / kSeriesAlignment;
  if (ref64 > UINT32_MAX) return Status::OutOfRange("index series section exceeds 64 GiB");
  auto ref = static_cast<uint32_t>(ref64);

  Encoder e;
  e.PutUvarint(labels.size());
  for (const Label& l : labels) {
    STRATA_ASSIGN_OR_RETURN(uint32_t n, SymbolRef(l.name));
    STRATA_ASSIGN_OR_RETURN(uint32_t v, SymbolRef(l.value));
    e.PutUvarint(n);
    e.PutUvarint(v);
    postings_[n][v].push_back(ref);
  }
  e.PutUvarint(chunks.size());
  for (size_t i = 0; i < chunks.size(); i++) {
    const ChunkMeta& c = chunks[i];
    if (c.max_time < c.min_time || c.ref < last_chunk_ref_ ||
        (i > 0 && c.min_time <= chunks[i - 1].max_time)) {
      return Status::InvalidArgument("chunks of series " + labels.String() +
                                     " overlap or are out of order");
    }
    if (i == 0) {
      e.PutVarint(c.min_time);
      e.PutUvarint(static_cast<uint64_t>(c.max_time - c.min_time));
      e.PutUvarint(c.ref);
    } else {
      e.PutUvarint(static_cast<uint64_t>(c.min_time - chunks[i - 1].max_time));
      e.PutUvarint(static_cast<uint64_t>(c.max_time - c.min_time));
      e.PutVarint(static_cast<int64_t>(c.ref - chunks[i - 1].ref));
    }
    last_chunk_ref_ = c.ref;
  }
  STRATA_RETURN_IF_ERROR(WriteSection(e.buf(), true));
  all_series_.push_back(ref);
  last_ = labels;
  num_series_++;
  return Status::OK();
}

Status IndexWriter::WriteLabelIndices() {
  toc_.label_indices = f_.pos();
  for (const auto& [name, values] : postings_) {
    STRATA_RETURN_IF_ERROR(f_.Pad(4));
    label_index_offsets_.emplace_back(name, f_.pos());
    Encoder e;
    e.PutBe32(1);  // one label name per index
    e.PutBe32(static_cast<uint32_t>(values.size()));
    for (const auto& [value, refs] : values) e.PutBe32(value);
    STRATA_RETURN_IF_ERROR(WriteSection(e.buf(), false));
  }
  return Status::OK();
}

Status IndexWriter::WritePostings() {
  toc_.postings = f_.pos();
  auto write_list = [&](std::pair<uint32_t, uint32_t> key, const std::vector<uint32_t>& refs,
                        bool all) -> Status {
    STRATA_RETURN_IF_ERROR(f_.Pad(4));
    if (!all) postings_offsets_.emplace_back(key, f_.pos());
    Encoder e;
    e.PutBe32(static_cast<uint32_t>(refs.size()));
    for (uint32_t r : refs) e.PutBe32(r);
    return WriteSection(e.buf(), false);
  };
  all_postings_offset_ = f_.pos() + (4 - f_.pos() % 4) % 4;
  STRATA_RETURN_IF_ERROR(write_list({0, 0}, all_series_, true));
  for (const auto& [name, values] : postings_) {
    for (const auto& [value, refs] : values)
      STRATA_RETURN_IF_ERROR(write_list({name, value}, refs, false));
  }
  return Status::OK();
}

Status IndexWriter::WriteOffsetTables() {
  toc_.label_offset_table = f_.pos();
  Encoder e;
  e.PutBe32(static_cast<uint32_t>(label_index_offsets_.size()));
  for (const auto& [name, off] : label_index_offsets_) {
    e.PutByte(1);
    e.PutUvarintStr(symbols_[name]);
    e.PutUvarint(off);
  }
  STRATA_RETURN_IF_ERROR(WriteSection(e.buf(), false));

  toc_.postings_offset_table = f_.pos();
  e.Reset();
  e.PutBe32(static_cast<uint32_t>(postings_offsets_.size() + 1));
  e.PutByte(2);  // the all-series list, keyed by the empty label pair
  e.PutUvarintStr("");
  e.PutUvarintStr("");
  e.PutUvarint(all_postings_offset_);
  for (const auto& [key, off] : postings_offsets_) {
    e.PutByte(2);
    e.PutUvarintStr(symbols_[key.first]);
    e.PutUvarintStr(symbols_[key.second]);
    e.PutUvarint(off);
  }
  return WriteSection(e.buf(), false);
}

Status IndexWriter::WriteToc() {
  Encoder e;
  for (uint64_t v : {toc_.symbols, toc_.series, toc_.label_indices, toc_.label_offset_table,
                     toc_.postings, toc_.postings_offset_table}) {
    e.PutBe64(v);
  }
  e.PutBe32(Crc32c(e.buf()));
  return f_.Write(e.buf());
}

Status IndexWriter::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  if (toc_.series == 0) STRATA_RETURN_IF_ERROR(AddSymbols({}));
  STRATA_RETURN_IF_ERROR(WriteLabelIndices());
  STRATA_RETURN_IF_ERROR(WritePostings());
  STRATA_RETURN_IF_ERROR(WriteOffsetTables());
  STRATA_RETURN_IF_ERROR(WriteToc());
  return f_.Close();
}

}  // namespace strata::tsdb
