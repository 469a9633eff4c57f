// Decodes arbitrary bytes as a Thanos aggregate chunk and downsamples it further, as the
// compactor does with a 5m block's chunks: errors are fine, crashes and hangs are not. Whatever
// decodes must re-encode to the same parts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "downsample/aggregate.h"
#include "tsdb/aggr_chunk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto view = tsdb::DecodeAggrChunk(in);
  if (!view.ok()) return 0;
  tsdb::AggrChunkParts parts;
  for (size_t i = 0; i < tsdb::kNumAggrTypes; i++) {
    if ((*view)[i].encoding == 0) continue;
    parts[i] = std::string((*view)[i].data);
  }
  const std::string again = tsdb::EncodeAggrChunk(parts);
  auto view2 = tsdb::DecodeAggrChunk(again);
  if (!view2.ok()) std::abort();
  for (size_t i = 0; i < tsdb::kNumAggrTypes; i++) {
    if ((*view2)[i].encoding != (*view)[i].encoding || (*view2)[i].data != (*view)[i].data)
      std::abort();
  }
  auto out = downsample::DownsampleAggr({in}, 0, 3600 * 1000, 300000, 3600000);
  (void)out;
  return 0;
}
