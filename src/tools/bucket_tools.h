// `tools bucket ls` and `tools bucket inspect`: what is in a bucket, formatted for people.
#pragma once

#include <string>
#include <vector>

#include "block/block.h"

namespace strata::tools {

// One line per block: the ULID; with wide, also time range, level, resolution, source, labels.
std::string FormatBucketLs(const std::vector<block::BucketBlock>& blocks, bool wide);

struct InspectOptions {
  double price_per_gib_month = 0.023;  // object storage price, for the monthly cost estimate
};

// A table (ULID, FROM, UNTIL, RANGE, SERIES, SAMPLES, CHUNKS, LEVEL, RESOLUTION, SOURCE,
// LABELS, SIZE) sorted by time, then totals per resolution and the estimated monthly cost.
// Partial and unreadable blocks are listed with what is wrong with them.
std::string FormatBucketInspect(const std::vector<block::BucketBlock>& blocks,
                                const InspectOptions& opts);

}  // namespace strata::tools
