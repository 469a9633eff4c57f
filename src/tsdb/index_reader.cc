#include "tsdb/index_reader.h"

#include <algorithm>
#include <cstdio>

#include "base/crc32c.h"
#include "base/encoding.h"

namespace strata::tsdb {

Result<std::unique_ptr<IndexReader>> IndexReader::Open(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
  auto r = std::unique_ptr<IndexReader>(new IndexReader());
  r->file_ = std::move(f);
  r->b_ = r->file_.data();
  r->name_ = path;
  STRATA_RETURN_IF_ERROR(r->Init());
  return r;
}

Result<std::unique_ptr<IndexReader>> IndexReader::FromBytes(std::string_view bytes,
                                                            std::string name) {
  auto r = std::unique_ptr<IndexReader>(new IndexReader());
  r->b_ = bytes;
  r->name_ = std::move(name);
  STRATA_RETURN_IF_ERROR(r->Init());
  return r;
}

Status IndexReader::Corrupt(uint64_t offset, std::string_view what) const {
  return Status::Corruption("index " + name_ + " at offset " + std::to_string(offset) + ": " +
                            std::string(what));
}

Result<std::string_view> IndexReader::Section(uint64_t offset, std::string_view what) const {
  if (offset > b_.size() || b_.size() - offset < 8) {
    return Corrupt(offset, std::string(what) + " section lies outside the file");
  }
  uint32_t len = LoadBe32(b_.data() + offset);
  if (len > b_.size() - offset - 8) {
    return Corrupt(offset, std::string(what) + " section length " + std::to_string(len) +
                               " runs past the end of the file");
  }
  std::string_view body = b_.substr(offset + 4, len);
  uint32_t want = LoadBe32(b_.data() + offset + 4 + len);
  if (Crc32c(body) != want) return Corrupt(offset, std::string(what) + " checksum mismatch");
  return body;
}

Status IndexReader::Init() {
  if (b_.size() < kIndexHeaderSize + kIndexTocSize) {
    return Corrupt(0, "file of " + std::to_string(b_.size()) + " bytes is too small for an index");
  }
  uint32_t magic = LoadBe32(b_.data());
  if (magic != kIndexMagic) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "invalid magic number %08x", magic);
    return Corrupt(0, buf);
  }
  if (static_cast<uint8_t>(b_[4]) != kIndexVersion2) {
    return Corrupt(4, "unsupported index version " + std::to_string(static_cast<uint8_t>(b_[4])) +
                          " (only version 2 is supported)");
  }
  size_t toc_off = b_.size() - kIndexTocSize;
  std::string_view toc = b_.substr(toc_off, kIndexTocSize - 4);
  if (Crc32c(toc) != LoadBe32(b_.data() + b_.size() - 4)) {
    return Corrupt(toc_off, "table of contents checksum mismatch");
  }
  Decoder td(toc);
  toc_.symbols = td.Be64();
  toc_.series = td.Be64();
  toc_.label_indices = td.Be64();
  toc_.label_offset_table = td.Be64();
  toc_.postings = td.Be64();
  toc_.postings_offset_table = td.Be64();
  for (uint64_t off : {toc_.symbols, toc_.series, toc_.label_indices, toc_.label_offset_table,
                       toc_.postings, toc_.postings_offset_table}) {
    if (off > toc_off) return Corrupt(toc_off, "table of contents points past its own start");
  }

  // Symbols.
  if (toc_.symbols != 0) {
    STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(toc_.symbols, "symbol table"));
    Decoder d(body);
    uint32_t n = d.Be32();
    if (n > body.size()) return Corrupt(toc_.symbols, "symbol count exceeds the section size");
    symbols_.reserve(n);
    for (uint32_t i = 0; i < n && d.ok(); i++) symbols_.push_back(d.UvarintStr());
    if (!d.ok()) return Corrupt(toc_.symbols + 4 + d.offset(), "symbol table: " + d.Error());
  }

  // Postings offset table: name/value -> offset of the postings list.
  if (toc_.postings_offset_table != 0) {
    STRATA_ASSIGN_OR_RETURN(std::string_view body,
                            Section(toc_.postings_offset_table, "postings offset table"));
    Decoder d(body);
    uint32_t n = d.Be32();
    for (uint32_t i = 0; i < n && d.ok(); i++) {
      uint8_t keys = d.Byte();
      if (d.ok() && keys != 2) {
        return Corrupt(toc_.postings_offset_table + 4 + d.offset(),
                       "postings offset entry has " + std::to_string(keys) + " keys, want 2");
      }
      std::string_view name = d.UvarintStr();
      std::string_view value = d.UvarintStr();
      uint64_t off = d.Uvarint();
      if (!d.ok()) break;
      if (name.empty() && value.empty()) {
        all_postings_offset_ = off;
        has_all_postings_ = true;
      } else {
        auto& values = postings_[name];
        if (!values.empty() && values.back().value >= value) {
          return Corrupt(toc_.postings_offset_table, "postings offset table is not sorted");
        }
        values.push_back({value, off});
      }
    }
    if (!d.ok()) {
      return Corrupt(toc_.postings_offset_table + 4 + d.offset(),
                     "postings offset table: " + d.Error());
    }
  }
  return Status::OK();
}

Result<std::string_view> IndexReader::Symbol(uint32_t ref, uint64_t at) const {
  if (ref >= symbols_.size()) {
    return Corrupt(at, "symbol reference " + std::to_string(ref) + " out of range (" +
                           std::to_string(symbols_.size()) + " symbols)");
  }
  return symbols_[ref];
}

std::vector<std::string_view> IndexReader::LabelNames() const {
  std::vector<std::string_view> names;
  names.reserve(postings_.size());
  for (const auto& [n, v] : postings_) names.push_back(n);
  return names;
}

std::vector<std::string_view> IndexReader::LabelValues(std::string_view name) const {
  std::vector<std::string_view> out;
  auto it = postings_.find(name);
  if (it == postings_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& vo : it->second) out.push_back(vo.value);
  return out;
}

Result<Postings> IndexReader::ReadPostings(std::string_view name, std::string_view value) const {
  uint64_t off = 0;
  if (name.empty() && value.empty()) {
    if (!has_all_postings_) return Postings{};
    off = all_postings_offset_;
  } else {
    auto it = postings_.find(name);
    if (it == postings_.end()) return Postings{};
    auto& vals = it->second;
    auto v = std::lower_bound(vals.begin(), vals.end(), value,
                              [](const ValueOffset& a, std::string_view b) { return a.value < b; });
    if (v == vals.end() || v->value != value) return Postings{};
    off = v->offset;
  }
  STRATA_ASSIGN_OR_RETURN(std::string_view body, Section(off, "postings list"));
  if (body.size() < 4) return Corrupt(off, "postings list too short");
  uint32_t n = LoadBe32(body.data());
  if (uint64_t{n} * 4 != body.size() - 4) {
    return Corrupt(off, "postings list holds " + std::to_string(n) + " entries but " +
                            std::to_string(body.size() - 4) + " bytes");
  }
  Postings p(n);
  const char* q = body.data() + 4;
  for (uint32_t i = 0; i < n; i++) p[i] = LoadBe32(q + 4 * i);
  for (uint32_t i = 1; i < n; i++) {
    if (p[i] <= p[i - 1]) return Corrupt(off, "postings list is not strictly increasing");
  }
  return p;
}

Result<IndexReader::Series> IndexReader::DecodeSeries(uint32_t ref, bool with_chunks) const {
  uint64_t off = uint64_t{ref} * kSeriesAlignment;
  if (off < kIndexHeaderSize || off >= b_.size()) {
    return Corrupt(off, "series reference " + std::to_string(ref) + " outside the file");
  }
  uint64_t len = 0;
  int n = DecodeUvarint(b_.data() + off, b_.size() - off, &len);
  if (n <= 0) return Corrupt(off, "invalid series length");
  uint64_t start = off + static_cast<uint64_t>(n);
  if (len > b_.size() || start + len + 4 > b_.size()) {
    return Corrupt(off, "series length " + std::to_string(len) + " runs past the end of the file");
  }
  std::string_view body = b_.substr(start, len);
  if (Crc32c(body) != LoadBe32(b_.data() + start + len)) {
    return Corrupt(off, "series checksum mismatch");
  }
  Decoder d(body);
  Series s;
  uint64_t nl = d.Uvarint();
  if (nl > body.size()) return Corrupt(off, "series label count exceeds its size");
  std::vector<Label> labels;
  labels.reserve(nl);
  for (uint64_t i = 0; i < nl && d.ok(); i++) {
    uint32_t nref = d.Uvarint32();
    uint32_t vref = d.Uvarint32();
    if (!d.ok()) break;
    STRATA_ASSIGN_OR_RETURN(std::string_view name, Symbol(nref, off));
    STRATA_ASSIGN_OR_RETURN(std::string_view value, Symbol(vref, off));
    labels.push_back(Label{std::string(name), std::string(value)});
  }
  if (!d.ok()) return Corrupt(start + d.offset(), "series labels: " + d.Error());
  s.labels = Labels::FromSorted(std::move(labels));
  if (!with_chunks) return s;

  uint64_t nc = d.Uvarint();
  if (nc > body.size()) return Corrupt(off, "series chunk count exceeds its size");
  s.chunks.reserve(nc);
  ChunkMeta prev;
  for (uint64_t i = 0; i < nc && d.ok(); i++) {
    ChunkMeta c;
    if (i == 0) {
      c.min_time = d.Varint();
      c.max_time = c.min_time + static_cast<int64_t>(d.Uvarint());
      c.ref = d.Uvarint();
    } else {
      c.min_time = prev.max_time + static_cast<int64_t>(d.Uvarint());
      c.max_time = c.min_time + static_cast<int64_t>(d.Uvarint());
      c.ref = prev.ref + static_cast<uint64_t>(d.Varint());
    }
    s.chunks.push_back(c);
    prev = c;
  }
  if (!d.ok()) return Corrupt(start + d.offset(), "series chunk metas: " + d.Error());
  return s;
}

Result<IndexReader::Series> IndexReader::ReadSeries(uint32_t ref) const {
  return DecodeSeries(ref, true);
}

Result<Labels> IndexReader::ReadSeriesLabels(uint32_t ref) const {
  STRATA_ASSIGN_OR_RETURN(Series s, DecodeSeries(ref, false));
  return std::move(s.labels);
}

// Postings of the series whose value for m.name() the matcher rejects (negate=true) or accepts
// (negate=false). A matcher that accepts "" also accepts series without the label, so it is
// resolved as "all series minus those with a rejected value".
Result<Postings> IndexReader::PostingsForMatcher(const Matcher& m, bool* negate) const {
  *negate = m.Matches("");
  std::vector<Postings> lists;
  auto add = [&](std::string_view value) -> Status {
    STRATA_ASSIGN_OR_RETURN(Postings p, ReadPostings(m.name(), value));
    if (!p.empty()) lists.push_back(std::move(p));
    return Status::OK();
  };
  if (!*negate && m.type() == MatchType::kEqual) {
    STRATA_RETURN_IF_ERROR(add(m.value()));
  } else if (!*negate && m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
    for (const auto& v : m.SetMatches()) STRATA_RETURN_IF_ERROR(add(v));
  } else {
    for (std::string_view v : LabelValues(m.name())) {
      if (m.Matches(v) != *negate) STRATA_RETURN_IF_ERROR(add(v));
    }
  }
  return Merge(lists);
}

Result<Postings> IndexReader::PostingsForMatchers(const Matchers& matchers) const {
  std::vector<Postings> include;
  std::vector<Postings> exclude;
  for (const Matcher& m : matchers) {
    bool negate = false;
    STRATA_ASSIGN_OR_RETURN(Postings p, PostingsForMatcher(m, &negate));
    if (negate) {
      exclude.push_back(std::move(p));
    } else {
      if (p.empty()) return Postings{};
      include.push_back(std::move(p));
    }
  }
  if (include.empty()) {
    STRATA_ASSIGN_OR_RETURN(Postings all, ReadPostings("", ""));
    include.push_back(std::move(all));
  }
  Postings result = IntersectAll(std::move(include));
  if (!exclude.empty()) result = Without(result, Merge(exclude));
  return result;
}

}  // namespace strata::tsdb
