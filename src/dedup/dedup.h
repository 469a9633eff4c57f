// Deduplication of HA replica series, as Thanos's querier does it (--query.replica-label):
// series that are equal except for the replica labels become one series whose samples come
// from one replica at a time. The penalty algorithm switches to another replica only after a
// gap larger than twice the last sample interval, so replicas are never interleaved within a
// scrape interval; for counter functions (rate, increase, irate, resets) values are adjusted
// on a switch so a lower replica never shows up as a counter reset. The chain algorithm
// (--deduplication.func=chain) instead keeps every sample of every replica, one per timestamp:
// better for replicas that scrape at different times when no sample may be lost.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/series.h"

namespace strata::dedup {

enum class Algorithm { kPenalty, kChain };
// "penalty" or "chain" (Thanos's --deduplication.func values); anything else is an error.
Result<Algorithm> ParseAlgorithm(std::string_view name);

// Strips the replica labels from every series of `in`, sorts, and merges each group of replicas.
std::unique_ptr<storage::SeriesSet> DedupSeriesSet(std::unique_ptr<storage::SeriesSet> in,
                                                   const std::vector<std::string>& replica_labels,
                                                   std::string_view func,
                                                   Algorithm algorithm = Algorithm::kPenalty);

// Deduplicates series that come sorted by their labels without replica labels, the replicas of
// one series one after the other (a querier's endpoints asked with without_replica_labels):
// streams, holding one series' replicas at a time. A series out of order is an error.
std::unique_ptr<storage::SeriesSet> DedupSortedSeriesSet(std::unique_ptr<storage::SeriesSet> in,
                                                         std::string_view func,
                                                         Algorithm algorithm = Algorithm::kPenalty);

// A Querier whose Select deduplicates `inner`'s series (the function hint decides counter mode).
std::unique_ptr<storage::Querier> NewDedupQuerier(std::shared_ptr<storage::Querier> inner,
                                                  std::vector<std::string> replica_labels,
                                                  Algorithm algorithm = Algorithm::kPenalty);

}  // namespace strata::dedup
