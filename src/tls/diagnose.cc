#include "tls/diagnose.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace strata::tls {
namespace {

// A TCP connection made with a deadline. Hand-written because this one diagnostic handshake is
// all the tls library needs of a network stack; gRPC and Beast own every real connection.
int ConnectWithin(const std::string& host_port, int timeout_ms) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return -1;
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), host_port.substr(colon + 1).c_str(), &hints, &res) != 0) return -1;
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK, res->ai_protocol);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

// The first verification failure of the handshake on this thread, with the certificate it is
// about; the callback then lets the handshake go on, so the server's whole chain is seen.
thread_local std::string first_failure;

int RecordFailure(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok != 1 && first_failure.empty()) {
    first_failure = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      char subject[256];
      X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
      first_failure += std::string(" (certificate ") + subject + ", depth " +
                       std::to_string(X509_STORE_CTX_get_error_depth(store)) + ")";
    }
  }
  return 1;
}

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

}  // namespace

std::string WhyServerCertificateFails(const std::string& host_port, const std::string& ca_file,
                                      int timeout_ms) {
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return "";
  if (ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get()) != 1
                      : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return "";
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, RecordFailure);
  static const unsigned char kAlpn[] = {2, 'h', '2'};  // as a gRPC client offers
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn));
  const int fd = ConnectWithin(host_port, timeout_ms);
  if (fd < 0) return "";
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  first_failure.clear();
  const bool handshake = SSL_connect(ssl.get()) == 1;
  std::string out = first_failure;
  if (handshake) SSL_shutdown(ssl.get());
  ERR_clear_error();
  close(fd);
  return out;
}

}  // namespace strata::tls
