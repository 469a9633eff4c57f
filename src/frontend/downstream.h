// The query-frontend's side of the querier: requests it builds (with the forwarded headers and
// the tenant), Thanos's retries (transport failures and 5xx, up to --*.max-retries-per-request
// attempts in all), and requests passed through unchanged.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "httpclient/http_client.h"
#include "server/http_server.h"

namespace strata::frontend {

// One client request being answered: what every downstream call made for it carries, and the
// querier's first refusal (a 4xx, or a 5xx after the retries), which becomes the answer.
struct CallContext {
  std::vector<std::string> headers;  // "Name: value", forwarded to the querier
  std::string tenant;                // for cache keys
  bool no_store_requested = false;   // the client sent Cache-Control: no-store

  void Fail(server::HttpResponse r);
  std::optional<server::HttpResponse> failure() const;

 private:
  mutable std::mutex mu_;
  std::optional<server::HttpResponse> failure_;
};

class Downstream {
 public:
  Downstream(std::string base_url, http::ClientConfig tls, int64_t timeout_ms, Registry* metrics);

  // Sends the encoded parameters to path (a form body for POST, the query string for GET), with
  // up to max_attempts attempts. A 2xx answer is returned; any other is recorded in ctx (and an
  // error returned), as is a transport failure after the last attempt.
  Result<http::Response> Send(const std::string& method, const std::string& path,
                              const std::string& params, CallContext& ctx, int max_attempts,
                              const std::string& tripperware);
  // The request as it came (method, path, parameters, body, headers), and the querier's answer
  // as it is.
  server::HttpResponse PassThrough(const server::HttpRequest& req);

 private:
  std::string base_url_;
  http::Client client_;
  int64_t timeout_ms_;
  Family<Histogram>* retries_ = nullptr;
};

}  // namespace strata::frontend
