// The Prometheus exporter-toolkit web config file (Thanos's --http.config): TLS for the HTTP
// server, bcrypt basic auth users and extra response headers. Parsed strictly, as the Go
// toolkit does: an unknown key, version, cipher suite or client auth type is an error naming it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace strata::server {

enum class ClientAuth {
  kNone,              // NoClientCert (default)
  kRequest,           // RequestClientCert: asked for, not verified
  kRequireAny,        // RequireAnyClientCert: required, not verified
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

struct TlsServerConfig {
  std::string cert_file, key_file, client_ca_file;  // absolute, or relative to the config's dir
  ClientAuth client_auth = ClientAuth::kNone;
  int min_version = 0x0303;                // TLS12 (OpenSSL's TLS1_2_VERSION)
  int max_version = 0x0304;                // TLS13
  std::vector<std::string> cipher_suites;  // OpenSSL names of the Go names given (TLS <= 1.2)
  std::vector<std::string> curves;         // OpenSSL group names of the Go curve names
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> client_allowed_sans;  // the client certificate must carry one
};

struct WebConfig {
  bool tls = false;  // tls_server_config has a certificate: serve HTTPS
  TlsServerConfig tls_config;
  bool http2 = true;  // accepted; Strata's HTTP server speaks HTTP/1.1 (ALPN never offers h2)
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash
};

// yaml: the file's content; dir: its directory, against which relative file names resolve.
// TLS files are checked (readable, key matches certificate).
Result<WebConfig> ParseWebConfig(std::string_view yaml, const std::string& dir);
Result<WebConfig> LoadWebConfig(const std::string& path);
// For startup checks before anything else runs: OK when path is "" or loads.
Status CheckWebConfigFile(const std::string& path);

}  // namespace strata::server
