#include "frontend/downstream.h"

#include <set>

#include "base/log.h"
#include "frontend/util.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

// Hop-by-hop headers and those libcurl sets itself are not copied either way.
bool CopiedHeader(const std::string& lower_name) {
  static const std::set<std::string> kSkip = {"host",
                                              "connection",
                                              "content-length",
                                              "transfer-encoding",
                                              "accept-encoding",
                                              "keep-alive",
                                              "content-encoding",
                                              "upgrade",
                                              "te",
                                              "trailer"};
  return !kSkip.contains(lower_name);
}

server::HttpResponse FromDownstream(const http::Response& r) {
  server::HttpResponse out{static_cast<int>(r.status), r.content_type, r.body, {}};
  for (const auto& [k, v] : r.headers) {
    if (k != "content-type" && k != "date" && CopiedHeader(k)) out.headers.emplace_back(k, v);
  }
  return out;
}

}  // namespace

void CallContext::Fail(server::HttpResponse r) {
  std::lock_guard<std::mutex> l(mu_);
  if (!failure_) failure_ = std::move(r);
}

std::optional<server::HttpResponse> CallContext::failure() const {
  std::lock_guard<std::mutex> l(mu_);
  return failure_;
}

Downstream::Downstream(std::string base_url, http::ClientConfig tls, int64_t timeout_ms,
                       Registry* metrics)
    : base_url_(std::move(base_url)), client_(std::move(tls)), timeout_ms_(timeout_ms) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (metrics != nullptr) {
    retries_ = &metrics->AddHistogram("cortex_query_frontend_retries",
                                      "Number of times a request is retried.", {"tripperware"},
                                      {0, 1, 2, 3, 4, 5});
  }
}

Result<http::Response> Downstream::Send(const std::string& method, const std::string& path,
                                        const std::string& params, CallContext& ctx,
                                        int max_attempts, const std::string& tripperware) {
  http::Request req;
  req.method = method;
  req.url = base_url_ + path;
  req.timeout_ms = timeout_ms_;
  req.headers = ctx.headers;
  req.accept_compressed = false;  // parsed and re-encoded here: gzip would only cost CPU
  if (method == "POST") {
    req.body = params;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else if (!params.empty()) {
    req.url += "?" + params;
  }
  const int attempts = std::max(1, max_attempts);
  Status last;
  for (int i = 0; i < attempts; i++) {
    auto r = client_.Do(req);
    if (r.ok() && r->status >= 200 && r->status < 300) {
      if (retries_ != nullptr) retries_->WithLabelValues({tripperware}).Observe(i);
      return r;
    }
    if (r.ok() && r->status < 500) {  // the querier refused the request: no point in retrying
      ctx.Fail(FromDownstream(*r));
      return Status::InvalidArgument("the querier answered " + std::to_string(r->status));
    }
    last =
        r.ok()
            ? Status::IOError("the querier answered " + std::to_string(r->status) + ": " + r->body)
            : r.status();
    log::Error("error processing request",
               {{"try", std::to_string(i)}, {"err", last.message()}, {"path", path}});
    if (i + 1 == attempts) {
      if (retries_ != nullptr) retries_->WithLabelValues({tripperware}).Observe(attempts);
      if (r.ok()) {
        ctx.Fail(FromDownstream(*r));
      } else {
        std::string body = "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":";
        promql::AppendJsonString(&body, last.message());
        ctx.Fail({502, "application/json", body + "}", {}});
      }
    }
  }
  return last;
}

server::HttpResponse Downstream::PassThrough(const server::HttpRequest& in) {
  http::Request req;
  req.method = in.method;
  req.url = base_url_ + in.path;
  req.timeout_ms = timeout_ms_;
  const auto ct = in.headers.find("content-type");
  const bool form = in.method == "POST" && ct != in.headers.end() &&
                    ct->second.starts_with("application/x-www-form-urlencoded");
  const std::string params = EncodeParams(in.params);
  if (form) {
    req.body = params;  // the query string's parameters and the form's, as one form
  } else {
    if (!params.empty()) req.url += "?" + params;
    req.body = in.body;
  }
  for (const auto& [k, v] : in.headers) {
    if (CopiedHeader(k)) req.headers.push_back(k + ": " + v);
  }
  auto r = client_.Do(req);
  if (!r.ok()) {
    return {502, "text/plain; charset=utf-8", "query-frontend: " + r.status().message() + "\n", {}};
  }
  return FromDownstream(*r);
}

}  // namespace strata::frontend
