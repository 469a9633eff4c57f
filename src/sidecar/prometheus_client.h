// The sidecar's view of its Prometheus: readiness, configuration (external labels), flags,
// version, the label and series APIs, and streamed remote read.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/labels.h"
#include "base/matcher.h"
#include "base/status.h"
#include "httpclient/http_client.h"
#include "sidecar/remote_read.h"

namespace strata::sidecar {

class PrometheusClient {
 public:
  // base_url like http://localhost:9090 (a trailing slash or path prefix is kept).
  // timeout_ms bounds the status calls (readiness, config, flags, version); data calls (remote
  // read, labels, series) get data_timeout_ms, as they may legitimately take long.
  explicit PrometheusClient(std::string base_url, int64_t timeout_ms = 30000,
                            http::ClientConfig config = {},
                            int64_t data_timeout_ms = 10 * 60 * 1000);

  const std::string& url() const { return base_; }
  // OK when GET /-/ready answers 200.
  Status Ready();
  // global.external_labels of the loaded configuration (GET /api/v1/status/config).
  Result<Labels> ExternalLabels();
  // Command-line flags (GET /api/v1/status/flags).
  Result<std::map<std::string, std::string>> Flags();
  // The version from GET /api/v1/status/buildinfo, e.g. "2.42.0".
  Result<std::string> Version();
  // POST /-/reload (needs Prometheus's --web.enable-lifecycle).
  Status Reload(int64_t timeout_ms);
  // Whether the last configuration reload succeeded, and when (ns since the epoch), from GET
  // /api/v1/status/runtimeinfo.
  struct ReloadState {
    bool success = false;
    int64_t time_ns = 0;
  };
  Result<ReloadState> LastReload(int64_t timeout_ms);

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint, int64_t maxt);
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers,
                                               int64_t mint, int64_t maxt);
  // Series label sets (GET /api/v1/series), for requests that need no chunks.
  Result<std::vector<Labels>> Series(const Matchers& matchers, int64_t mint, int64_t maxt);

  // Streams the chunks of every series matching matchers in [mint, maxt] via remote read.
  Status RemoteRead(const Matchers& matchers, int64_t mint, int64_t maxt,
                    const ChunkedResponseDecoder::SeriesFn& fn);

 private:
  // GETs path (with query) and returns the "data" member of the JSON envelope as JSON text.
  Result<std::string> GetData(const std::string& path_and_query, int64_t timeout_ms);

  std::string base_;
  int64_t timeout_ms_;
  int64_t data_timeout_ms_;
  http::Client http_;
};

// Parses the YAML of /api/v1/status/config and returns global.external_labels.
Result<Labels> ParseExternalLabels(const std::string& config_yaml);

}  // namespace strata::sidecar
