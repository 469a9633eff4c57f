#include "storeapi/tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "storeapi/grpc_credentials.h"
#include "tls/pem.h"

namespace strata::storeapi {

namespace tlsx = grpc::experimental;

Status ServerTls::Validate() const {
  if (!enabled()) {
    if (!client_ca_file.empty())
      return Status::InvalidArgument(
          "--grpc-server-tls-client-ca: a client CA needs --grpc-server-tls-cert and "
          "--grpc-server-tls-key too");
    return Status::OK();
  }
  if (cert_file.empty() || key_file.empty())
    return Status::InvalidArgument(
        "--grpc-server-tls-cert and --grpc-server-tls-key must be given together");
  if (min_version != "1.0" && min_version != "1.1" && min_version != "1.2" && min_version != "1.3")
    return Status::InvalidArgument("--grpc-server-tls-min-version: \"" + min_version +
                                   "\" is not a TLS version (1.0, 1.1, 1.2 or 1.3)");
  STRATA_RETURN_IF_ERROR(tls::CheckKeyPair(cert_file, key_file).WithContext("gRPC server"));
  if (!client_ca_file.empty())
    STRATA_RETURN_IF_ERROR(tls::CheckCaFile(client_ca_file).WithContext("gRPC server client CA"));
  return Status::OK();
}

Status ClientTls::Validate() const {
  if (!secure) return Status::OK();
  if (cert_file.empty() != key_file.empty())
    return Status::InvalidArgument(
        "--grpc-client-tls-cert and --grpc-client-tls-key must be given together");
  if (!cert_file.empty())
    STRATA_RETURN_IF_ERROR(tls::CheckKeyPair(cert_file, key_file).WithContext("gRPC client"));
  if (!ca_file.empty())
    STRATA_RETURN_IF_ERROR(tls::CheckCaFile(ca_file).WithContext("gRPC client"));
  return Status::OK();
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const ServerTls& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  // The provider re-reads the files every interval and hands new certificates to new handshakes.
  auto provider = std::make_shared<tlsx::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, tls.reload_interval_seconds);
  tlsx::TlsServerCredentialsOptions opts(provider);
  opts.watch_identity_key_cert_pairs();
  if (tls.client_ca_file.empty()) {
    opts.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    opts.watch_root_certs();
    opts.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return tlsx::TlsServerCredentials(opts);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const ClientTls& tls) {
  if (!tls.secure) return grpc::InsecureChannelCredentials();
  tlsx::TlsChannelCredentialsOptions opts;
  if (!tls.cert_file.empty() || !tls.ca_file.empty()) {
    opts.set_certificate_provider(std::make_shared<tlsx::FileWatcherCertificateProvider>(
        tls.key_file, tls.cert_file, tls.ca_file, tls.reload_interval_seconds));
    if (!tls.cert_file.empty()) opts.watch_identity_key_cert_pairs();
    if (!tls.ca_file.empty()) opts.watch_root_certs();
  }
  if (tls.skip_verify) {
    opts.set_verify_server_certs(false);
    opts.set_check_call_host(false);
    opts.set_certificate_verifier(std::make_shared<tlsx::NoOpCertificateVerifier>());
  } else {
    opts.set_certificate_verifier(std::make_shared<tlsx::HostNameCertificateVerifier>());
  }
  return tlsx::TlsCredentials(opts);
}

}  // namespace strata::storeapi
