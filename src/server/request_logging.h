// Thanos's request logging configuration (--request.logging-config(-file), the YAML of
// https://thanos.io/tip/thanos/logging.md): which HTTP requests and gRPC calls get a "started
// call" and/or "finished call" log line. The HTTP server and the gRPC servers apply it.
// Thread-safety: immutable once parsed.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata::server {

enum class LogDecision { kNone, kFinish, kStartAndFinish };

struct RequestLogOptions {
  std::string level = "ERROR";  // INFO, DEBUG, ERROR or WARNING
  LogDecision decision = LogDecision::kNone;
};

struct RequestLogging {
  RequestLogOptions http, grpc;
  std::set<std::string> http_allow;  // "<path>:<port>"; empty: every request
  std::set<std::string> grpc_allow;  // "/<service>/<method>"; empty: every call

  // Whether a finished HTTP request is logged: `path` without the query, `port` the one the
  // request was sent to; `error` for a line at error level (5xx).
  bool LogsHttp(std::string_view path, int port, bool error) const;
  // Whether a finished gRPC call with this status code is logged.
  bool LogsGrpc(std::string_view full_method, int code) const;
};

// Parses the YAML (unknown keys are errors); nullptr when it logs nothing (empty content
// included).
Result<std::shared_ptr<const RequestLogging>> ParseRequestLogging(std::string_view yaml);

}  // namespace strata::server
