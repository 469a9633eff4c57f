// A storage::Querier over a remote StoreAPI endpoint (a Thanos or Strata sidecar, store gateway
// or querier): Select streams Series over gRPC and decodes the XOR chunks lazily.
// Thread-safety: safe for concurrent Selects.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/series.h"
#include "storeapi/source.h"

namespace strata::storeapi {

class StoreClient : public storage::Querier {
 public:
  // address: host:port. Connection happens lazily; errors surface on the first call. timeout
  // bounds data calls (a query's own deadline may end them sooner); info_timeout bounds Info,
  // which health checks call often.
  static std::unique_ptr<StoreClient> Connect(
      const std::string& address, std::chrono::milliseconds timeout = std::chrono::seconds(120),
      std::chrono::milliseconds info_timeout = std::chrono::seconds(5));
  virtual const std::string& address() const = 0;
  virtual Result<SourceInfo> Info() = 0;
  // Streams the Series call as it arrives, chunks still encoded (for queriers that serve the
  // StoreAPI themselves); the chunks' data is valid during the callback only.
  // max_resolution_ms: as SeriesSource::SeriesDownsampled; downsampled chunks come back whole,
  // as aggregate chunks (encoding 0xff).
  virtual Status SeriesRaw(const Matchers& matchers, int64_t mint, int64_t maxt,
                           int64_t max_resolution_ms, bool skip_chunks, const SeriesFn& fn,
                           const WarningFn& warn) = 0;
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                                      int64_t maxt) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const Matchers& matchers, int64_t mint,
                                                       int64_t maxt) = 0;
};

}  // namespace strata::storeapi
