// The querier's own StoreAPI: a SeriesSource that forwards Series, LabelNames and LabelValues to
// the querier's endpoints and merges their answers, chunks untouched, so queriers can be
// stacked (a global querier over per-cluster queriers). No deduplication here, as in Thanos:
// the querier at the top deduplicates.
#pragma once

#include <memory>

#include "query/endpoints.h"
#include "storeapi/source.h"

namespace strata::query {

// selector_labels (--selector-label): added to every label set Info announces (over an
// endpoint's own label of that name); Series requests are matched against them
// (ApplySelectorLabels).
std::unique_ptr<storeapi::SeriesSource> NewProxySource(std::shared_ptr<EndpointSet> endpoints,
                                                       Labels selector_labels = {});

}  // namespace strata::query
