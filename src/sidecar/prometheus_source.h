// Serves a Prometheus server over the StoreAPI, as Thanos's sidecar does: series and chunks via
// streamed remote read (chunks passed through as Prometheus encoded them), label names and values
// via its HTTP API, with the external labels added to every series. Matchers on external labels
// select or rule out the whole Prometheus and are not sent to it.
// Thread-safety: safe for concurrent use; external labels and time range may change at any time.
#pragma once

#include <memory>
#include <mutex>

#include "sidecar/prometheus_client.h"
#include "storeapi/source.h"

namespace strata::sidecar {

class PrometheusSource : public storeapi::SeriesSource {
 public:
  explicit PrometheusSource(std::shared_ptr<PrometheusClient> client)
      : client_(std::move(client)) {}

  void SetExternalLabels(Labels labels);
  Labels ExternalLabels() const;
  // The time range announced through Info.
  void SetTimeRange(int64_t mint, int64_t maxt);

  storeapi::SourceInfo Info() const override;
  Status Series(const storeapi::SeriesQuery& q, const storeapi::SeriesFn& fn,
                const storeapi::WarningFn& warn) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                              int64_t maxt) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers,
                                               int64_t mint, int64_t maxt) override;

 private:
  // The matchers to send to Prometheus, or nullopt when a matcher on an external label
  // rules this Prometheus out.
  std::optional<Matchers> LocalMatchers(const Matchers& matchers, const Labels& ext) const;

  std::shared_ptr<PrometheusClient> client_;
  mutable std::mutex mu_;
  Labels ext_;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
};

}  // namespace strata::sidecar
