#include "tsdb/aggr_chunk.h"

#include "base/encoding.h"
#include "tsdb/xor_chunk.h"

namespace strata::tsdb {

std::string_view AggrTypeName(AggrType t) {
  static constexpr std::string_view kNames[kNumAggrTypes] = {"count", "sum", "min", "max",
                                                             "counter"};
  const auto i = static_cast<size_t>(t);
  return i < kNumAggrTypes ? kNames[i] : "unknown";
}

std::string EncodeAggrChunk(const AggrChunkParts& xor_chunks) {
  Encoder e;
  for (const auto& part : xor_chunks) {
    if (!part) {
      e.PutUvarint(0);
      continue;
    }
    e.PutUvarint(part->size());
    e.PutByte(static_cast<uint8_t>(ChunkEncoding::kXor));
    e.PutBytes(*part);
  }
  return std::move(e.buf());
}

Result<AggrChunkView> DecodeAggrChunk(std::string_view b) {
  AggrChunkView out{};
  size_t pos = 0;
  for (size_t i = 0; i < kNumAggrTypes; i++) {
    const std::string where =
        "aggregate chunk: " + std::string(AggrTypeName(static_cast<AggrType>(i))) + " at byte " +
        std::to_string(pos);
    uint64_t len = 0;
    const int n = DecodeUvarint(b.data() + pos, b.size() - pos, &len);
    if (n <= 0) return Status::Corruption(where + ": bad length");
    pos += static_cast<size_t>(n);
    if (len == 0) continue;  // absent
    if (len >= b.size() - pos)
      return Status::Corruption(where + ": " + std::to_string(len + 1) + " bytes past the end (" +
                                std::to_string(b.size()) + " bytes)");
    const auto enc = static_cast<uint8_t>(b[pos]);
    if (enc != static_cast<uint8_t>(ChunkEncoding::kXor))
      return Status::Corruption(where + ": unsupported encoding " + std::to_string(enc));
    out[i] = ChunkData{enc, b.substr(pos + 1, len)};
    pos += 1 + len;
  }
  return out;
}

uint32_t AggrChunkSamples(std::string_view b) {
  auto v = DecodeAggrChunk(b);
  if (!v.ok()) return 0;
  std::string_view count = (*v)[static_cast<size_t>(AggrType::kCount)].data;
  return count.size() >= 2 ? LoadBe16(count.data()) : 0;
}

}  // namespace strata::tsdb
