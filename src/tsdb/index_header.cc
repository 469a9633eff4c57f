#include "tsdb/index_header.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "tsdb/index_decode.h"

namespace strata::tsdb {
namespace {

constexpr size_t kHeaderFieldsSize = 4 + 1 + 1 + 8;
constexpr size_t kHeaderTocSize = 8 + 8 + 4;
constexpr uint64_t kCopyPiece = 16 << 20;

Status CopyRange(const IndexRangeFn& read, uint64_t from, uint64_t to, BufferedFile& out) {
  for (uint64_t off = from; off < to;) {
    const uint64_t n = std::min(kCopyPiece, to - off);
    STRATA_ASSIGN_OR_RETURN(std::string piece, read(off, n));
    if (piece.size() != n) {
      return Status::Corruption("index ends at offset " + std::to_string(off + piece.size()) +
                                ", before its table of contents says");
    }
    STRATA_RETURN_IF_ERROR(out.Write(piece));
    off += n;
  }
  return Status::OK();
}

}  // namespace

Status WriteIndexHeader(const IndexRangeFn& read, uint64_t index_size, const std::string& path) {
  if (index_size < kIndexHeaderSize + kIndexTocSize) {
    return Status::Corruption("index of " + std::to_string(index_size) +
                              " bytes is too small to be an index");
  }
  STRATA_ASSIGN_OR_RETURN(std::string head, read(0, kIndexHeaderSize));
  if (head.size() != kIndexHeaderSize || LoadBe32(head.data()) != kIndexMagic) {
    return Status::Corruption("index at offset 0: invalid magic number");
  }
  const uint8_t version = static_cast<uint8_t>(head[4]);
  if (version != kIndexVersion2) {
    return Status::Unsupported("index at offset 4: index version " + std::to_string(version) +
                               " (only version 2 is supported)");
  }
  const uint64_t toc_off = index_size - kIndexTocSize;
  STRATA_ASSIGN_OR_RETURN(std::string toc_bytes, read(toc_off, kIndexTocSize));
  auto toc = DecodeIndexToc(toc_bytes, toc_off);
  if (!toc.ok()) return Status(toc.status().code(), "index " + toc.status().message());
  if (toc->symbols == 0 || toc->series < toc->symbols || toc->postings_offset_table == 0) {
    return Status::Corruption("index at offset " + std::to_string(toc_off) +
                              ": table of contents lacks a symbol or postings offset table");
  }

  const std::string tmp = path + ".tmp";
  STRATA_ASSIGN_OR_RETURN(BufferedFile out, BufferedFile::Create(tmp));
  Encoder e;
  e.PutBe32(kIndexHeaderMagic);
  e.PutByte(kIndexHeaderVersion1);
  e.PutByte(version);
  e.PutBe64(toc->postings_offset_table);
  STRATA_RETURN_IF_ERROR(out.Write(e.buf()));
  const uint64_t symbols_pos = out.pos();
  STRATA_RETURN_IF_ERROR(CopyRange(read, toc->symbols, toc->series, out));
  const uint64_t table_pos = out.pos();
  STRATA_RETURN_IF_ERROR(CopyRange(read, toc->postings_offset_table, index_size, out));
  e.Reset();
  e.PutBe64(symbols_pos);
  e.PutBe64(table_pos);
  e.PutBe32(Crc32c(e.buf()));
  STRATA_RETURN_IF_ERROR(out.Write(e.buf()));
  STRATA_RETURN_IF_ERROR(out.Close());
  // Validate before the file takes its final name: a corrupt index never leaves a header.
  auto check = IndexHeader::Open(tmp);
  if (!check.ok()) {
    std::filesystem::remove(tmp);
    return check.status();
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("rename " + tmp + ": " + ec.message());
  return Status::OK();
}

Result<std::unique_ptr<IndexHeader>> IndexHeader::Open(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
  auto h = std::unique_ptr<IndexHeader>(new IndexHeader());
  h->file_ = std::move(f);
  h->b_ = h->file_.data();
  STRATA_RETURN_IF_ERROR(h->Init());
  return h;
}

Status IndexHeader::Corrupt(uint64_t at, std::string_view what) const {
  return Status::Corruption("index-header " + file_.path() + " at offset " + std::to_string(at) +
                            ": " + std::string(what));
}

Status IndexHeader::Wrap(const Status& st) const {
  if (st.ok()) return st;
  return Status(st.code(), "index-header " + file_.path() + " " + st.message());
}

Status IndexHeader::Init() {
  if (b_.size() < kHeaderFieldsSize + kHeaderTocSize) {
    return Corrupt(0, "file of " + std::to_string(b_.size()) + " bytes is too small");
  }
  if (LoadBe32(b_.data()) != kIndexHeaderMagic) return Corrupt(0, "invalid magic number");
  if (static_cast<uint8_t>(b_[4]) != kIndexHeaderVersion1) {
    return Corrupt(4,
                   "unknown index-header version " + std::to_string(static_cast<uint8_t>(b_[4])));
  }
  if (static_cast<uint8_t>(b_[5]) != kIndexVersion2) {
    return Corrupt(5, "index version " + std::to_string(static_cast<uint8_t>(b_[5])) +
                          " is not supported (only version 2)");
  }
  last_posting_end_ = LoadBe64(b_.data() + 6);
  const uint64_t toc_pos = b_.size() - kHeaderTocSize;
  if (Crc32c(b_.substr(toc_pos, 16)) != LoadBe32(b_.data() + toc_pos + 16)) {
    return Corrupt(toc_pos, "table of contents checksum mismatch");
  }
  const uint64_t symbols_pos = LoadBe64(b_.data() + toc_pos);
  const uint64_t table_pos = LoadBe64(b_.data() + toc_pos + 8);
  if (symbols_pos != kHeaderFieldsSize || table_pos < symbols_pos ||
      table_pos + kIndexTocSize > toc_pos) {
    return Corrupt(toc_pos, "table of contents points outside the file");
  }

  // The index's own TOC ends the copied postings offset table region.
  index_size_ = last_posting_end_ + (toc_pos - table_pos);
  auto itoc = DecodeIndexToc(b_.substr(toc_pos - kIndexTocSize, kIndexTocSize),
                             index_size_ - kIndexTocSize);
  if (!itoc.ok()) return Wrap(itoc.status().WithContext("copy of the index TOC"));
  index_toc_ = *itoc;

  auto sym =
      DecodeSection(b_.substr(symbols_pos, table_pos - symbols_pos), symbols_pos, "symbol table");
  if (!sym.ok()) return Wrap(sym.status());
  symbols_ = *sym;
  symbols_base_ = symbols_pos + 4;
  if (symbols_.size() < 4 || symbols_.size() > UINT32_MAX) {
    return Corrupt(symbols_pos, "symbol table too small or too large");
  }
  num_symbols_ = LoadBe32(symbols_.data());
  if (num_symbols_ > symbols_.size()) return Corrupt(symbols_pos, "symbol count exceeds its size");
  symbol_samples_.reserve(num_symbols_ / kIndexHeaderSampling + 1);
  Decoder d(symbols_);
  d.Skip(4);
  for (uint32_t i = 0; i < num_symbols_ && d.ok(); i++) {
    if (i % kIndexHeaderSampling == 0) symbol_samples_.push_back(static_cast<uint32_t>(d.offset()));
    d.UvarintStr();
  }
  if (!d.ok()) return Corrupt(symbols_base_ + d.offset(), "symbol table: " + d.Error());

  auto table =
      DecodeSection(b_.substr(table_pos, toc_pos - table_pos), table_pos, "postings offset table");
  if (!table.ok()) return Wrap(table.status());
  table_ = *table;
  table_base_ = table_pos + 4;
  if (table_.size() > UINT32_MAX) return Corrupt(table_pos, "postings offset table too large");
  NameEntries* cur = nullptr;
  std::string_view cur_name, last_value;
  uint32_t last_pos = 0;
  auto finish = [&] {
    if (cur != nullptr && (cur->samples.empty() || cur->samples.back().pos != last_pos)) {
      cur->samples.push_back({std::string(last_value), last_pos});
    }
  };
  Status st = ForEachPostingsOffset(
      table_, table_base_,
      [&](std::string_view name, std::string_view value, uint64_t off, size_t pos) -> Status {
        if (off >= last_posting_end_) return Corrupt(table_base_ + pos, "postings offset too big");
        const auto p = static_cast<uint32_t>(pos);
        if (name.empty() && value.empty()) {
          all_pos_ = p;
          return Status::OK();
        }
        if (cur == nullptr || name != cur_name) {
          finish();
          cur = &names_[std::string(name)];
          cur_name = name;
          cur->first_pos = p;
        }
        if (cur->count % kIndexHeaderSampling == 0) cur->samples.push_back({std::string(value), p});
        cur->count++;
        last_value = value;
        last_pos = p;
        return Status::OK();
      });
  if (!st.ok()) return Wrap(st);
  finish();
  return Status::OK();
}

std::vector<std::string_view> IndexHeader::LabelNames() const {
  std::vector<std::string_view> out;
  out.reserve(names_.size());
  for (const auto& [n, e] : names_) out.push_back(n);
  return out;
}

Result<std::vector<std::string_view>> IndexHeader::LabelValues(std::string_view name) const {
  std::vector<std::string_view> out;
  auto it = names_.find(name);
  if (it == names_.end()) return out;
  out.reserve(it->second.count);
  size_t pos = it->second.first_pos;
  for (uint32_t i = 0; i < it->second.count; i++) {
    auto e = DecodePostingsOffsetEntry(table_.substr(pos), table_base_ + pos);
    if (!e.ok()) return Wrap(e.status());
    out.push_back(e->value);
    pos += e->size;
  }
  return out;
}

Result<std::optional<IndexHeader::Range>> IndexHeader::PostingsRange(std::string_view name,
                                                                     std::string_view value) const {
  size_t pos = 0;
  if (name.empty() && value.empty()) {
    if (!all_pos_) return std::optional<Range>();
    pos = *all_pos_;
  } else {
    auto it = names_.find(name);
    if (it == names_.end()) return std::optional<Range>();
    const auto& samples = it->second.samples;
    // The last sample whose value is <= value; the entry, if present, follows it closely.
    auto s = std::upper_bound(samples.begin(), samples.end(), value,
                              [](std::string_view v, const ValueSample& x) { return v < x.value; });
    if (s == samples.begin()) return std::optional<Range>();
    pos = std::prev(s)->pos;
    for (;;) {
      if (pos >= table_.size()) return std::optional<Range>();
      auto e = DecodePostingsOffsetEntry(table_.substr(pos), table_base_ + pos);
      if (!e.ok()) return Wrap(e.status());
      if (e->name != name || e->value > value) return std::optional<Range>();
      if (e->value == value) break;
      pos += e->size;
    }
  }
  auto e = DecodePostingsOffsetEntry(table_.substr(pos), table_base_ + pos);
  if (!e.ok()) return Wrap(e.status());
  Range r{e->offset, last_posting_end_};
  const size_t next = pos + e->size;
  if (next < table_.size()) {
    auto n = DecodePostingsOffsetEntry(table_.substr(next), table_base_ + next);
    if (!n.ok()) return Wrap(n.status());
    r.end = n->offset;
  }
  if (r.end <= r.start) return Corrupt(table_base_ + pos, "postings offsets out of order");
  return std::optional<Range>(r);
}

Result<std::string_view> IndexHeader::Symbol(uint32_t ref) const {
  if (ref >= num_symbols_) {
    return Status::Corruption("symbol reference " + std::to_string(ref) + " out of range (" +
                              std::to_string(num_symbols_) + " symbols)");
  }
  const size_t start = symbol_samples_[ref / kIndexHeaderSampling];
  Decoder d(symbols_.substr(start));
  for (uint32_t i = 0; i < ref % kIndexHeaderSampling; i++) d.UvarintStr();
  std::string_view s = d.UvarintStr();
  if (!d.ok()) return Corrupt(symbols_base_ + start + d.offset(), "symbol table: " + d.Error());
  return s;
}

}  // namespace strata::tsdb
