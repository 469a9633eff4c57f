// `tools tsdb dump`: prints every sample of a data directory (or one block) in the exact format
// of `promtool tsdb dump`:  {labels} value timestamp  — series in label order, samples merged
// across overlapping blocks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "base/matcher.h"
#include "base/status.h"

namespace strata::tools {

struct DumpOptions {
  std::string path = "data/";
  int64_t min_time = INT64_MIN;
  int64_t max_time = INT64_MAX;
  Matchers matchers;  // empty: every series
};

Status DumpSamples(const DumpOptions& opts, std::FILE* out);

}  // namespace strata::tools
