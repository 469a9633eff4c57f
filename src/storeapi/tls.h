// TLS for the StoreAPI, configured as Thanos's --grpc-server-tls-* and --grpc-client-tls-*
// flags are. Certificates, keys and CAs are re-read when their files change.
#pragma once

#include <string>

#include "base/status.h"

namespace strata::storeapi {

// --grpc-server-tls-cert/-key/-client-ca/-min-version. TLS is on when cert and key are set;
// with a client CA, clients must present a certificate it signed.
struct ServerTls {
  std::string cert_file, key_file, client_ca_file;
  // Thanos accepts 1.0-1.3 (default 1.3). gRPC 1.51 negotiates TLS 1.2 or 1.3 only, preferring
  // 1.3; it has no switch to refuse 1.2, so "1.3" cannot exclude a TLS 1.2-only client.
  std::string min_version = "1.3";
  unsigned reload_interval_seconds = 10;  // how often the files are checked for changes

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  // Thanos's rules: both cert and key, a client CA only with them, files readable and matching.
  Status Validate() const;
};

// --grpc-client-tls-secure/-cert/-key/-ca/-skip-verify, --grpc-client-server-name.
struct ClientTls {
  bool secure = false;
  std::string cert_file, key_file, ca_file;  // no CA: the system's roots
  bool skip_verify = false;
  std::string server_name;  // expected in the server's certificate instead of the host
  unsigned reload_interval_seconds = 10;

  Status Validate() const;
};

}  // namespace strata::storeapi
