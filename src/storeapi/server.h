// A gRPC server offering thanos.Store (Info, Series, LabelNames, LabelValues) and
// thanos.info.Info over a SeriesSource, wire-compatible with Thanos v0.34 queriers.
#pragma once

#include <memory>
#include <string>

#include "base/metrics.h"
#include "storeapi/source.h"
#include "storeapi/tls.h"

namespace strata::server {
struct RequestLogging;
}

namespace strata::storeapi {

struct ServerOptions {
  std::string address = "0.0.0.0:10901";  // Thanos's default --grpc-address
  std::string component_type = "store";   // thanos.info ComponentType: store, sidecar, query, ...
  int max_concurrent_series_calls =
      20;         // Thanos's --store.limits... / --store.grpc.series-max-concurrency
  ServerTls tls;  // plain gRPC unless tls.enabled()
  // --grpc-server-max-connection-age: clients are asked to reconnect after it (0: never), so
  // connections spread again over the replicas behind a load balancer.
  int64_t max_connection_age_ms = 0;
  // --store.limits.request-series / --store.limits.request-samples of the querier and sidecar
  // (0: none): a Series call fails once it would send more series, or more samples counted as
  // 120 per chunk, as Thanos's limited store server does.
  uint64_t max_series = 0;
  uint64_t max_samples = 0;
  Registry* metrics = nullptr;  // thanos_store_selects_dropped_total{reason}, when given
  // --request.logging-config: calls logged as configured, under this component name.
  std::shared_ptr<const server::RequestLogging> request_logging;
  std::string log_component = "store";
};

class StoreServer {
 public:
  virtual ~StoreServer() = default;
  // Binds and serves in background threads; fails with a clear message if the address is taken
  // or the TLS files are unusable.
  static Result<std::unique_ptr<StoreServer>> Start(const ServerOptions& opts,
                                                    std::shared_ptr<SeriesSource> source);
  virtual int port() const = 0;
  // Stops accepting calls and gives running ones up to grace_ms (--grpc-grace-period) before
  // cancelling them.
  virtual void Shutdown(int64_t grace_ms) = 0;
  void Shutdown() { Shutdown(5000); }
};

}  // namespace strata::storeapi
