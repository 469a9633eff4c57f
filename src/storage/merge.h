// Merges sorted SeriesSets into one sorted set. Series with identical labels (the same series
// in overlapping blocks) become one series whose samples are the time-ordered union; a
// timestamp present in several inputs is returned once, from the first input holding it.
#pragma once

#include <memory>
#include <vector>

#include "storage/series.h"

namespace strata::storage {

std::unique_ptr<SeriesSet> MergeSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets);
// Merges sorted SeriesSets into one sorted set, keeping series with equal labels apart: they
// follow each other, in input order (for deduplication, which reads each replica on its own).
std::unique_ptr<SeriesSet> InterleaveSeriesSets(std::vector<std::unique_ptr<SeriesSet>> sets);
// Chains several iterators of one series into one, in time order, without duplicates.
std::unique_ptr<SampleIterator> ChainSampleIterators(
    std::vector<std::unique_ptr<SampleIterator>> its);

}  // namespace strata::storage
