// Thanos's aggregate chunk, the chunk of downsampled blocks (encoding byte 0xff in the segment
// files). It holds up to five XOR chunks over the same windows, in the order count, sum, min,
// max, counter, each stored as
//   uvarint len(data) | encoding byte | data
// with a lone zero length for an aggregate that is absent. The counter chunk starts with the
// window's first raw value and ends with its last raw value repeated at the last window's
// timestamp, so counter resets between chunks can be found again.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tsdb/chunk_file.h"

namespace strata::tsdb {

constexpr uint8_t kAggrChunkEncoding = 0xff;

enum class AggrType : uint8_t { kCount = 0, kSum = 1, kMin = 2, kMax = 3, kCounter = 4 };
constexpr size_t kNumAggrTypes = 5;
std::string_view AggrTypeName(AggrType t);

// One XOR chunk per aggregate, indexed by AggrType; nullopt = absent.
using AggrChunkParts = std::array<std::optional<std::string>, kNumAggrTypes>;
std::string EncodeAggrChunk(const AggrChunkParts& xor_chunks);

// The five parts, pointing into b; an absent part has encoding 0 (kNone) and no data.
using AggrChunkView = std::array<ChunkData, kNumAggrTypes>;
// A part that runs past the end of b or an unknown part encoding is corruption.
Result<AggrChunkView> DecodeAggrChunk(std::string_view b);

// Samples in the chunk: those of its count aggregate (0 when absent), as Thanos counts them.
uint32_t AggrChunkSamples(std::string_view b);

}  // namespace strata::tsdb
