// Writes the downsampled copy of a local block, as Thanos's compactor does: every series of the
// source becomes aggregate chunks at the target resolution, series by series (memory bounded by
// the largest series). The new block keeps the source's time range, compaction level and
// sources (that is how the compactor knows what is already downsampled), with
// thanos.downsample.resolution set and source "compactor". Tombstones are not applied, as in
// Thanos (blocks in a bucket have none).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "tsdb/meta.h"

namespace strata::downsample {

// block_dir holds a raw block (for 5m) or a 5m block (for 1h); the result is written to
// out_parent/<new ULID>. Corrupt data fails the call with kCorruption naming the block, series
// and chunk; native histogram chunks with kUnsupported.
Result<tsdb::BlockMeta> DownsampleBlock(const std::string& block_dir, const std::string& out_parent,
                                        int64_t resolution);

}  // namespace strata::downsample
