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
#include "storeapi/tls.h"

namespace strata::storeapi {

// The series of a Series call, one at a time, chunks as sent.
class RawSeriesStream {
 public:
  virtual ~RawSeriesStream() = default;
  // False at the end or on an error (status()).
  virtual bool Next() = 0;
  // Valid until the following Next().
  virtual const Labels& labels() const = 0;
  virtual const std::vector<RawChunk>& chunks() const = 0;
  virtual Status status() const = 0;
};

class StoreClient : public storage::Querier {
 public:
  // address: host:port. Connection happens lazily; errors surface on the first call. timeout
  // bounds data calls (a query's own deadline may end them sooner); info_timeout bounds Info,
  // which health checks call often. tls: plain gRPC unless tls.secure (validate it first).
  static std::unique_ptr<StoreClient> Connect(
      const std::string& address, std::chrono::milliseconds timeout = std::chrono::seconds(120),
      std::chrono::milliseconds info_timeout = std::chrono::seconds(5), const ClientTls& tls = {});
  virtual const std::string& address() const = 0;
  virtual Result<SourceInfo> Info() = 0;
  // What the last successful Info said of without_replica_labels (false before one).
  virtual bool supports_without_labels() const = 0;
  // A Series call read as it arrives, chunks still encoded (for queriers that serve the
  // StoreAPI themselves); downsampled chunks come back whole, as aggregate chunks (encoding
  // 0xff). Warnings the endpoint sends go to warn.
  virtual std::unique_ptr<RawSeriesStream> SeriesRawStream(const SeriesQuery& q,
                                                           const WarningFn& warn) = 0;
  // The same through a callback; the chunks' data is valid during the callback only.
  Status SeriesRaw(const SeriesQuery& q, const SeriesFn& fn, const WarningFn& warn);
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                                      int64_t maxt) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const Matchers& matchers, int64_t mint,
                                                       int64_t maxt) = 0;
};

}  // namespace strata::storeapi
