// Vertical sharding (--query-frontend.vertical-shards), as Thanos's query analyzer: a query is
// shardable when every series that its aggregations and vector matches combine agree on some
// labels (the `by` labels, or all but the `without` ones); each shard's querier then reads only
// the series whose hash of those labels falls in its shard, and the shards' answers are merged.
#pragma once

#include <optional>
#include <string>

#include "base/labels.h"
#include "promql/ast.h"

namespace strata::frontend {

// The labels to shard expr by (index and total unset), or nullopt when it cannot be sharded:
// absent(), absent_over_time() and scalar() anywhere, no aggregation or vector match, or
// groupings that share no label (sum(x) without `by`).
std::optional<ShardInfo> AnalyzeShardable(const promql::Expr& expr);

// The shard_info parameter as Thanos's frontend sends it (Go's encoding/json with omitempty):
// {"shard_index":1,"total_shards":3,"by":true,"labels":["pod"]}.
std::string ShardInfoJson(const ShardInfo& s);

}  // namespace strata::frontend
