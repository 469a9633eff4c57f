// A small HTTP/1.1 client over libcurl for talking to other servers' HTTP APIs (the sidecar's
// Prometheus, for example). Keeps idle connections for reuse.
// Thread-safety: an HttpClient may be used from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace strata::http {

struct Response {
  long status = 0;
  std::string content_type;
  std::string body;  // empty when the body was streamed to a callback
  // The final response's headers, names lower-cased, in order (Content-Type among them).
  std::vector<std::pair<std::string, std::string>> headers;
  // The first value of a header (name lower-cased), or "".
  std::string Header(std::string_view name) const;
};

struct Request {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // POST body
  int64_t timeout_ms = 30000;        // whole request, connect included
  // Ask for gzip/deflate. Off where both ends are ours on a cluster network and the body is
  // parsed at once (the query-frontend's split queries): compressing costs the sender more CPU
  // than sending the bytes plain.
  bool accept_compressed = true;
  // When set, receives the body piece by piece as it arrives, and returns false to abort.
  // Only called for 2xx responses whose Content-Type contains stream_content_type; other
  // bodies are kept in Response::body for the caller's error message.
  std::function<bool(std::string_view)> on_data;
  std::string stream_content_type;
};

// Thanos's HTTP client configuration (the YAML of --prometheus.http-client and similar flags).
struct ClientConfig {
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string bearer_token;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
};
// Parses the YAML; unknown keys are errors naming the key. *_file secrets are read here.
Result<ClientConfig> ParseClientConfig(const std::string& yaml);
// From a file path or inline YAML (the file wins); both empty gives the default config.
Result<ClientConfig> ReadClientConfig(const std::string& file, const std::string& content);

class Client {
 public:
  explicit Client(ClientConfig config = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Transport failures (refused, timeout, aborted) are errors naming the URL; any HTTP status
  // is a Response for the caller to judge.
  Result<Response> Do(const Request& req);
  Result<Response> Get(const std::string& url, int64_t timeout_ms = 30000);

 private:
  struct Pool;
  ClientConfig config_;
  std::unique_ptr<Pool> pool_;
};

// Percent-encodes s for a URL query or path segment (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace strata::http
