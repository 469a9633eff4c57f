// `tools tsdb create-blocks-from openmetrics`: backfills blocks from an OpenMetrics text file
// the way promtool does: blocks aligned to the block duration (2h by default), every sample
// needs a timestamp, one block per non-empty time window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tsdb/meta.h"

namespace strata::tools {

struct ImportOptions {
  std::string input_file;
  std::string output_dir = "data/";
  int64_t max_block_duration_ms = 2 * 3600 * 1000;
};

Result<std::vector<tsdb::BlockMeta>> CreateBlocksFromOpenMetrics(const ImportOptions& opts);

// promtool's rule: 2h, or the largest of 2h·3^k (k < 10) not above the requested maximum.
int64_t CompatibleBlockDuration(int64_t max_block_duration_ms);

}  // namespace strata::tools
