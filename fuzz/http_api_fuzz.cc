// Sends arbitrary requests to the querier's HTTP API (the router the `query` command serves):
// the input is "<path>?<query string>" with an optional form body after a newline. Every
// answer must be well-formed (a status code and, for the API, JSON with a status field) and
// nothing may crash, whatever the parameters (times, steps, PromQL, match[], limits).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "query/api.h"
#include "query/endpoints.h"
#include "server/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  static std::shared_ptr<query::EndpointSet> endpoints = *query::EndpointSet::Make({});
  static server::Router* router = [] {
    auto* r = new server::Router();
    query::ApiOptions opts;
    opts.engine.timeout = std::chrono::seconds(2);
    opts.engine.max_samples = 100'000;
    query::RegisterApi(*r, opts, [](int64_t mint, int64_t maxt, const Matchers& m) {
      return endpoints->Select(mint, maxt, m);
    });
    return r;
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  std::string_view target = in.substr(0, nl);
  server::HttpRequest req;
  req.method = nl == std::string_view::npos ? "GET" : "POST";
  const size_t q = target.find('?');
  req.path = "/api/v1/" + server::UrlDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) req.params = server::ParseQueryString(target.substr(q + 1));
  if (nl != std::string_view::npos) {
    req.body = std::string(in.substr(nl + 1));
    for (auto& p : server::ParseQueryString(req.body)) req.params.push_back(std::move(p));
  }
  const server::HttpResponse r = router->Route(req);
  if (r.status < 200 || r.status > 599) {
    std::fprintf(stderr, "bad status %d for %s\n", r.status, req.path.c_str());
    std::abort();
  }
  if (r.status != 404 && r.content_type == "application/json" &&
      r.body.find("\"status\":") == std::string::npos) {
    std::fprintf(stderr, "API answer without a status: %s\n", r.body.c_str());
    std::abort();
  }
  return 0;
}
