#include "tsdb/index_reader.h"

#include <algorithm>
#include <cstdio>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "tsdb/index_decode.h"

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

Status IndexReader::Wrap(const Status& st) const {
  if (st.ok()) return st;
  return Status(st.code(), "index " + name_ + " " + st.message());
}

Result<std::string_view> IndexReader::Section(uint64_t offset, std::string_view what) const {
  if (offset > b_.size())
    return Corrupt(offset, std::string(what) + " section lies outside the file");
  auto body = DecodeSection(b_.substr(offset), offset, what);
  if (!body.ok()) return Wrap(body.status());
  return *body;
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
  const size_t toc_off = b_.size() - kIndexTocSize;
  auto toc = DecodeIndexToc(b_.substr(toc_off), toc_off);
  if (!toc.ok()) return Wrap(toc.status());
  toc_ = *toc;

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
    STRATA_RETURN_IF_ERROR(Wrap(ForEachPostingsOffset(
        body, toc_.postings_offset_table + 4,
        [&](std::string_view name, std::string_view value, uint64_t off, size_t) {
          if (name.empty() && value.empty()) {
            all_postings_offset_ = off;
            has_all_postings_ = true;
          } else {
            postings_[name].push_back({value, off});
          }
          return Status::OK();
        })));
  }
  return Status::OK();
}

Result<std::string_view> IndexReader::Symbol(uint32_t ref) const {
  if (ref >= symbols_.size()) {
    return Status::Corruption("symbol reference " + std::to_string(ref) + " out of range (" +
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
  auto p = DecodePostingsBody(body, off + 4);
  if (!p.ok()) return Wrap(p.status());
  return std::move(*p);
}

Result<IndexReader::Series> IndexReader::DecodeSeries(uint32_t ref, bool with_chunks) const {
  uint64_t off = uint64_t{ref} * kSeriesAlignment;
  if (off < kIndexHeaderSize || off >= b_.size()) {
    return Corrupt(off, "series reference " + std::to_string(ref) + " outside the file");
  }
  size_t need = 0;
  auto body = DecodeSeriesEntry(b_.substr(off), off, &need);
  if (body.status().code() == StatusCode::kOutOfRange) {
    return Corrupt(off, "series runs past the end of the file");
  }
  if (!body.ok()) return Wrap(body.status());
  auto s = DecodeSeriesBody(
      *body, off, [&](uint32_t r) { return Symbol(r); }, with_chunks);
  if (!s.ok()) return Wrap(s.status());
  return Series{std::move(s->labels), std::move(s->chunks)};
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
  std::vector<Postings> lists;
  for (const auto& v : ValuesForMatcher(
           m, [&] { return LabelValues(m.name()); }, negate)) {
    STRATA_ASSIGN_OR_RETURN(Postings p, ReadPostings(m.name(), v));
    if (!p.empty()) lists.push_back(std::move(p));
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
