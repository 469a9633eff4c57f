// Which blocks a component works on, as Thanos's --min-time/--max-time and
// --selector.relabel-config select them (store gateway, compactor, `tools bucket web`).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "relabel/relabel.h"
#include "tsdb/meta.h"

namespace strata::block {

struct BlockSelector {
  int64_t min_time = std::numeric_limits<int64_t>::min();  // blocks ending after it
  int64_t max_time = std::numeric_limits<int64_t>::max();  // blocks starting at or before it
  // Relabel rules over the block's external labels plus __block_id; a dropped block is skipped.
  std::vector<relabel::Config> relabel;

  bool Selects(const tsdb::BlockMeta& meta) const;
};

}  // namespace strata::block
