// storage::Querier over persisted TSDB blocks.
#pragma once

#include <memory>
#include <vector>

#include "storage/series.h"
#include "tsdb/block.h"

namespace strata::storage {

// Queries one block; series are read lazily, samples decoded on iteration.
std::unique_ptr<Querier> NewBlockQuerier(std::shared_ptr<const tsdb::Block> block);
// Queries several blocks as one (merging series that span blocks).
std::unique_ptr<Querier> NewBlocksQuerier(std::vector<std::shared_ptr<const tsdb::Block>> blocks);

}  // namespace strata::storage
