#include "tsdb/index_decode.h"

#include "base/crc32c.h"
#include "base/encoding.h"

namespace strata::tsdb {
namespace {

Status Corrupt(uint64_t at, std::string_view what) {
  return Status::Corruption("at offset " + std::to_string(at) + ": " + std::string(what));
}

}  // namespace

Result<IndexToc> DecodeIndexToc(std::string_view b, uint64_t base) {
  if (b.size() != kIndexTocSize) return Corrupt(base, "table of contents cut short");
  if (Crc32c(b.substr(0, kIndexTocSize - 4)) != LoadBe32(b.data() + kIndexTocSize - 4)) {
    return Corrupt(base, "table of contents checksum mismatch");
  }
  Decoder d(b);
  IndexToc toc;
  toc.symbols = d.Be64();
  toc.series = d.Be64();
  toc.label_indices = d.Be64();
  toc.label_offset_table = d.Be64();
  toc.postings = d.Be64();
  toc.postings_offset_table = d.Be64();
  for (uint64_t off : {toc.symbols, toc.series, toc.label_indices, toc.label_offset_table,
                       toc.postings, toc.postings_offset_table}) {
    if (off > base) return Corrupt(base, "table of contents points past its own start");
  }
  return toc;
}

Result<std::string_view> DecodeSection(std::string_view b, uint64_t base, std::string_view what) {
  if (b.size() < 8) return Corrupt(base, std::string(what) + " section lies outside the file");
  uint32_t len = LoadBe32(b.data());
  if (len > b.size() - 8) {
    return Corrupt(base, std::string(what) + " section length " + std::to_string(len) +
                             " runs past the end of the file");
  }
  std::string_view body = b.substr(4, len);
  if (Crc32c(body) != LoadBe32(b.data() + 4 + len)) {
    return Corrupt(base, std::string(what) + " checksum mismatch");
  }
  return body;
}

Result<Postings> DecodePostingsBody(std::string_view body, uint64_t base) {
  if (body.size() < 4) return Corrupt(base, "postings list too short");
  uint32_t n = LoadBe32(body.data());
  if (uint64_t{n} * 4 != body.size() - 4) {
    return Corrupt(base, "postings list holds " + std::to_string(n) + " entries but " +
                             std::to_string(body.size() - 4) + " bytes");
  }
  Postings p(n);
  const char* q = body.data() + 4;
  for (uint32_t i = 0; i < n; i++) p[i] = LoadBe32(q + 4 * i);
  for (uint32_t i = 1; i < n; i++) {
    if (p[i] <= p[i - 1]) return Corrupt(base, "postings list is not strictly increasing");
  }
  return p;
}

Result<std::string_view> DecodeSeriesEntry(std::string_view b, uint64_t base, size_t* need) {
  *need = 0;
  uint64_t len = 0;
  int n = DecodeUvarint(b.data(), b.size(), &len);
  if (n < 0) return Corrupt(base, "invalid series length");
  if (n == 0) return Status(StatusCode::kOutOfRange, "series length cut off");
  if (len > (uint64_t{1} << 32)) {
    return Corrupt(base, "series length " + std::to_string(len) + " is implausible");
  }
  const size_t total = static_cast<size_t>(n) + len + 4;
  if (total > b.size()) {
    *need = total;
    return Status(StatusCode::kOutOfRange,
                  "series length " + std::to_string(len) + " runs past the end of the data");
  }
  std::string_view body = b.substr(static_cast<size_t>(n), len);
  if (Crc32c(body) != LoadBe32(b.data() + n + len)) {
    return Corrupt(base, "series checksum mismatch");
  }
  return body;
}

Result<IndexSeries> DecodeSeriesBody(std::string_view body, uint64_t base, const SymbolFn& symbol,
                                     bool with_chunks) {
  Decoder d(body);
  IndexSeries s;
  uint64_t nl = d.Uvarint();
  if (nl > body.size()) return Corrupt(base, "series label count exceeds its size");
  std::vector<Label> labels;
  labels.reserve(nl);
  for (uint64_t i = 0; i < nl && d.ok(); i++) {
    uint32_t nref = d.Uvarint32();
    uint32_t vref = d.Uvarint32();
    if (!d.ok()) break;
    auto name = symbol(nref);
    if (!name.ok()) return Corrupt(base, name.status().message());
    auto value = symbol(vref);
    if (!value.ok()) return Corrupt(base, value.status().message());
    labels.push_back(Label{std::string(*name), std::string(*value)});
  }
  if (!d.ok()) return Corrupt(base + d.offset(), "series labels: " + d.Error());
  s.labels = Labels::FromSorted(std::move(labels));
  if (!with_chunks) return s;

  uint64_t nc = d.Uvarint();
  if (nc > body.size()) return Corrupt(base, "series chunk count exceeds its size");
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
  if (!d.ok()) return Corrupt(base + d.offset(), "series chunk metas: " + d.Error());
  return s;
}

Result<PostingsOffsetEntry> DecodePostingsOffsetEntry(std::string_view b, uint64_t base) {
  Decoder d(b);
  uint8_t keys = d.Byte();
  if (d.ok() && keys != 2) {
    return Corrupt(base, "postings offset entry has " + std::to_string(keys) + " keys, want 2");
  }
  PostingsOffsetEntry e;
  e.name = d.UvarintStr();
  e.value = d.UvarintStr();
  e.offset = d.Uvarint();
  if (!d.ok()) return Corrupt(base + d.offset(), "postings offset table: " + d.Error());
  e.size = d.offset();
  return e;
}

Status ForEachPostingsOffset(std::string_view body, uint64_t base, const PostingsOffsetFn& fn) {
  if (body.size() < 4) return Corrupt(base, "postings offset table too short");
  const uint32_t n = LoadBe32(body.data());
  size_t pos = 4;
  std::string_view prev_name, prev_value;
  for (uint32_t i = 0; i < n; i++) {
    STRATA_ASSIGN_OR_RETURN(PostingsOffsetEntry e,
                            DecodePostingsOffsetEntry(body.substr(pos), base + pos));
    if (i > 0 && (e.name < prev_name || (e.name == prev_name && e.value <= prev_value))) {
      return Corrupt(base + pos, "postings offset table is not sorted");
    }
    STRATA_RETURN_IF_ERROR(fn(e.name, e.value, e.offset, pos));
    prev_name = e.name;
    prev_value = e.value;
    pos += e.size;
  }
  return Status::OK();
}

std::vector<std::string> ValuesForMatcher(
    const Matcher& m, const std::function<std::vector<std::string_view>()>& values, bool* negate) {
  *negate = m.Matches("");
  std::vector<std::string> out;
  if (!*negate && m.type() == MatchType::kEqual) {
    out.push_back(m.value());
  } else if (!*negate && m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
    out.assign(m.SetMatches().begin(), m.SetMatches().end());
  } else {
    for (std::string_view v : values()) {
      if (m.Matches(v) != *negate) out.emplace_back(v);
    }
  }
  return out;
}

}  // namespace strata::tsdb
