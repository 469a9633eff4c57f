// The querier's view of its endpoints: a storage::Querier that fans a Select out to every
// StoreAPI endpoint whose time range overlaps, merges the sorted answers, and optionally
// deduplicates HA replicas. A failing endpoint becomes a warning (partial response) or an error;
// warnings endpoints send are passed on.
#pragma once

#include <optional>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "storage/series.h"
#include "storeapi/client.h"

namespace strata::query {

// The endpoints to ask for a time range and matchers, and those that should have been asked but
// are down (each "address: reason").
struct EndpointSelection {
  std::vector<std::shared_ptr<storeapi::StoreClient>> clients;
  std::vector<std::string> unavailable;
};
using EndpointProvider =
    std::function<EndpointSelection(int64_t mint, int64_t maxt, const Matchers& matchers)>;

struct ProxyOptions {
  std::vector<std::string> replica_labels;  // --query.replica-label
  bool dedup = true;
  dedup::Algorithm dedup_algorithm = dedup::Algorithm::kPenalty;  // --deduplication.func
  bool partial_response = true;                                   // --query.partial-response
  // --store.response-timeout: an endpoint that has not answered by then is given up (a warning
  // with partial response); 0 waits until the query's own deadline.
  int64_t response_timeout_ms = 0;
  // max_source_resolution: the coarsest downsampled data the query reads (0: raw only).
  int64_t max_resolution_ms = 0;
  // --grpc.proxy-strategy=eager: every endpoint's answer is read whole and sorted before the
  // merge (as Thanos does by default); otherwise answers stream, and only those of endpoints
  // that cannot leave replica labels out are read whole when deduplicating.
  bool eager = false;
  // A query-frontend's shard_info: endpoints send only this shard's series.
  ShardInfo shard;
  // --selector-label: the labels this querier answers for (see ApplySelectorLabels).
  Labels selector_labels;
  // The request's tenant, sent to the endpoints with each Series call (thanos-tenant).
  std::string tenant;
};

// Thanos's --selector-label on a request's matchers: a matcher on a selector label is checked
// against its value and removed. nullopt: a matcher rules the selector out (an empty answer);
// an error when no matcher is left.
Result<std::optional<Matchers>> ApplySelectorLabels(const Labels& selector,
                                                    const Matchers& matchers);

class ProxyQuerier : public storage::Querier {
 public:
  ProxyQuerier(EndpointProvider endpoints, ProxyOptions opts)
      : endpoints_(std::move(endpoints)), opts_(std::move(opts)) {}

  std::unique_ptr<storage::SeriesSet> Select(const storage::SelectHints& hints,
                                             const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint, int64_t maxt);
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers,
                                               int64_t mint, int64_t maxt);
  // Warnings collected from failed endpoints (partial response) and sent by endpoints.
  std::vector<std::string> TakeWarnings();

 private:
  void Warn(const Status& st);
  // The clients to ask; an error when an endpoint is down and partial responses are disabled.
  Result<std::vector<std::shared_ptr<storeapi::StoreClient>>> Pick(int64_t mint, int64_t maxt,
                                                                   const Matchers& m);

  EndpointProvider endpoints_;
  ProxyOptions opts_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

}  // namespace strata::query
