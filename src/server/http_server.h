// An HTTP/1.1 server (Boost.Beast over Asio) for the components' APIs, UI and /metrics:
// keep-alive, request body limits, read/idle timeouts, gzip responses when the client accepts
// them, query and form parameters decoded; with a web config, HTTPS (optionally mTLS), basic
// auth and extra headers on every path. Handlers run on the server's worker threads and
// must be thread-safe. Beast and Asio headers stay inside http_server.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "server/request_logging.h"

namespace strata::server {

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query string, percent-decoded
  // Query-string parameters, and for form POSTs (application/x-www-form-urlencoded) also the
  // body's, in order; a name may repeat (match[]).
  std::vector<std::pair<std::string, std::string>> params;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string target;                          // the request-target as sent: path and query
  std::string body;
  std::string remote_address;  // the peer's ip:port
  // Over TLS, the subject of the client's certificate when it sent one (the first value of
  // each field; Thanos's --query.tenant-certificate-field).
  struct ClientCert {
    bool present = false;
    std::string organization, organizational_unit, common_name;
  };
  bool tls = false;
  ClientCert client_cert;

  // A header's value (the name in any case), or "".
  std::string Header(std::string name) const;
  // The first value of a parameter, or "".
  std::string Param(const std::string& name) const;
  bool HasParam(const std::string& name) const;
  std::vector<std::string> Params(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Maps paths to handlers: exact paths first, then the longest matching prefix.
class Router {
 public:
  void Handle(const std::string& path, HttpHandler h) { exact_[path] = std::move(h); }
  void HandlePrefix(const std::string& prefix, HttpHandler h) {
    prefixes_.emplace_back(prefix, std::move(h));
  }
  // Served at this path whatever the route prefix: /metrics and the probes, as in Thanos.
  void HandleAtRoot(const std::string& path, HttpHandler h) { root_[path] = std::move(h); }
  // --web.route-prefix: the routes of Handle and HandlePrefix are served under it
  // ("/thanos/api/v1/query"), and "/" redirects there. Sanitized by SanitizePathPrefix.
  void SetRoutePrefix(std::string_view prefix);
  const std::string& route_prefix() const { return route_prefix_; }
  HttpResponse Route(const HttpRequest& req) const;

 private:
  HttpResponse Dispatch(const HttpRequest& req) const;

  std::map<std::string, HttpHandler> exact_;
  std::vector<std::pair<std::string, HttpHandler>> prefixes_;
  std::map<std::string, HttpHandler> root_;
  std::string route_prefix_;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0:10902";
  int threads = 4;
  size_t max_body_bytes = 10 << 20;
  int read_timeout_seconds = 60;  // for a request to arrive (also the keep-alive idle timeout)
  // --http.config: a web config file (TLS, basic auth, headers), re-read when it changes.
  std::string web_config_file;
  // Headers added to every response (the query-frontend's CORS headers).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // The handler a path is served by (Thanos's handler label and thanos.method_name); "" or no
  // handler_name: neither logged nor measured.
  std::function<std::string(std::string_view path)> handler_name;
  // --request.logging-config: the handlers' requests logged as configured.
  std::shared_ptr<const RequestLogging> request_logging;
  // Thanos's HTTP metrics of the handlers (http_requests_total{code,handler,method}, ...), with
  // a tenant label when tenant_of is set (the querier's).
  Registry* metrics = nullptr;
  std::function<std::string(const HttpRequest&)> tenant_of;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Binds and serves in background threads; fails with a clear message if the address is taken
  // or the web config is unusable.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& opts,
                                                   std::shared_ptr<const Router> router);
  virtual int port() const = 0;
  // Stops accepting, gives requests being served up to grace_ms to be answered (--http-grace-
  // period), then stops.
  virtual void Shutdown(int64_t grace_ms) = 0;
  void Shutdown() { Shutdown(0); }
};

// A URL path prefix as Thanos's SanitizePrefix takes it: the path of a prefix URL
// ("https://h/a/b/?q" -> "/a/b"), no trailing slash, a leading one added; "" for the root.
std::string SanitizePathPrefix(std::string_view prefix);

// Percent-decodes s ('+' as space when form is set).
std::string UrlDecode(std::string_view s, bool form);
// Parses "a=1&b=2" into pairs.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs);
// gzip-compresses data (RFC 1952), as Go's net/http gzip handlers do.
std::string Gzip(std::string_view data);

}  // namespace strata::server
