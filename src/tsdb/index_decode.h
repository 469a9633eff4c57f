// Decoders for the pieces of an index v2 file, shared by IndexReader (the whole file in memory)
// and the store gateway (an index-header plus pieces fetched from a bucket by ranged reads).
// Each works on the bytes it is given; errors say what is wrong and at which offset, counted
// from `base`, the file offset of the first byte given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "tsdb/index_format.h"
#include "tsdb/postings.h"

namespace strata::tsdb {

// The table of contents (the last kIndexTocSize bytes of an index starting at base, the TOC's
// file offset): CRC-checked, and no entry may point past the TOC itself.
Result<IndexToc> DecodeIndexToc(std::string_view toc, uint64_t base);

// A section  len(4) | body | crc32c(body)  at the start of b: returns the body, CRC-checked.
Result<std::string_view> DecodeSection(std::string_view b, uint64_t base, std::string_view what);

// A postings list body (count(4) | refs(4 each), strictly increasing).
Result<Postings> DecodePostingsBody(std::string_view body, uint64_t base);

// The series entry at the start of b (uvarint len | body | crc32c(body)): returns the body.
// When b ends before the entry does, returns kOutOfRange and sets *need to the entry's full
// size in bytes (or to 0 when even its length is cut off), so the caller can read more.
Result<std::string_view> DecodeSeriesEntry(std::string_view b, uint64_t base, size_t* need);

struct IndexSeries {
  Labels labels;
  std::vector<ChunkMeta> chunks;
};
// Resolves a symbol reference (v2: the symbol's position in the symbol table).
using SymbolFn = std::function<Result<std::string_view>(uint32_t ref)>;
// Decodes a series body: labels (through symbols) and, with_chunks, its chunk metas.
Result<IndexSeries> DecodeSeriesBody(std::string_view body, uint64_t base, const SymbolFn& symbol,
                                     bool with_chunks);

// Calls fn for each entry of a postings offset table body (count(4) | entries), with the
// entry's byte position within body. Entries must be sorted by name, then value.
using PostingsOffsetFn = std::function<Status(std::string_view name, std::string_view value,
                                              uint64_t postings_offset, size_t entry_pos)>;
Status ForEachPostingsOffset(std::string_view body, uint64_t base, const PostingsOffsetFn& fn);
// Decodes one postings offset entry at the start of b (for random access into the table).
struct PostingsOffsetEntry {
  std::string_view name, value;
  uint64_t offset = 0;
  size_t size = 0;  // bytes the entry takes
};
Result<PostingsOffsetEntry> DecodePostingsOffsetEntry(std::string_view b, uint64_t base);

// Which label values' postings resolve a matcher: with negate=false the union of their
// postings is the answer; with negate=true (the matcher accepts "", so also series without the
// label) the answer is every series minus that union. `values` lists the name's values sorted;
// it is only called when the matcher is not a plain equality or set of alternatives.
std::vector<std::string> ValuesForMatcher(
    const Matcher& m, const std::function<std::vector<std::string_view>()>& values, bool* negate);

}  // namespace strata::tsdb
