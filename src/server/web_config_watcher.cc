#include "server/web_config_watcher.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/ssl.hpp>

#include "base/log.h"
#include "tls/pem.h"

namespace strata::server {
namespace {

namespace ssl = boost::asio::ssl;

std::string FileStamp(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + "." + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + "." + std::to_string(st.st_ino);
}

// The config file and the TLS files it names: a rotated certificate is a change too.
std::string Stamp(const std::string& path, const WebConfig* c) {
  std::string s = FileStamp(path);
  if (c != nullptr && c->tls) {
    for (const std::string* f :
         {&c->tls_config.cert_file, &c->tls_config.key_file, &c->tls_config.client_ca_file})
      s += "|" + FileStamp(*f);
  }
  return s;
}

int SslCtxIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Whether the client certificate carries one of the allowed subject alternative names (DNS,
// email, IP or URI), compared exactly as the Go toolkit does.
bool SanAllowed(X509* cert, const std::vector<std::string>& allowed) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; i++) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string value;
    if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.ia5;
      value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                   static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(n->d.ip);
      char buf[INET6_ADDRSTRLEN] = {};
      if ((len == 4 || len == 16) &&
          inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.ip), buf,
                    sizeof(buf)) != nullptr)
        value = buf;
    }
    for (const auto& a : allowed) found = found || (!value.empty() && value == a);
  }
  GENERAL_NAMES_free(names);
  return found;
}

// One callback for every client_auth_type: the unverified kinds take any certificate; the
// verifying kinds take OpenSSL's verdict, then check client_allowed_sans on the leaf.
int VerifyClient(int preverify_ok, X509_STORE_CTX* store) {
  SSL* s =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* t =
      static_cast<const TlsServerConfig*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), SslCtxIndex()));
  if (t->client_auth == ClientAuth::kRequest || t->client_auth == ClientAuth::kRequireAny) return 1;
  if (preverify_ok != 1) return 0;
  if (X509_STORE_CTX_get_error_depth(store) == 0 && !t->client_allowed_sans.empty() &&
      !SanAllowed(X509_STORE_CTX_get_current_cert(store), t->client_allowed_sans)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

Result<std::shared_ptr<ssl::context>> MakeSslContext(const TlsServerConfig& t) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  auto fail = [](const std::string& what) {
    return Status::InvalidArgument("tls_server_config: " + what + ": " + tls::OpenSslErrors());
  };
  SSL_CTX_set_min_proto_version(c, t.min_version);
  SSL_CTX_set_max_proto_version(c, t.max_version);
  if (SSL_CTX_use_certificate_chain_file(c, t.cert_file.c_str()) != 1)
    return fail("cannot use cert_file " + t.cert_file);
  if (SSL_CTX_use_PrivateKey_file(c, t.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("cannot use key_file " + t.key_file);
  std::string list;
  for (const auto& s : t.cipher_suites) list += (list.empty() ? "" : ":") + s;
  if (!list.empty() && SSL_CTX_set_cipher_list(c, list.c_str()) != 1)
    return fail("cipher_suites not available in this OpenSSL");
  list.clear();
  for (const auto& s : t.curves) list += (list.empty() ? "" : ":") + s;
  if (!list.empty() && SSL_CTX_set1_groups_list(c, list.c_str()) != 1)
    return fail("curve_preferences not available in this OpenSSL");
  if (t.prefer_server_cipher_suites) SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  int mode = SSL_VERIFY_NONE;
  switch (t.client_auth) {
    case ClientAuth::kNone:
      break;
    case ClientAuth::kRequest:
    case ClientAuth::kVerifyIfGiven:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientAuth::kRequireAny:
    case ClientAuth::kRequireAndVerify:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  if (!t.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, t.client_ca_file.c_str(), nullptr) != 1)
      return fail("cannot use client_ca_file " + t.client_ca_file);
    SSL_CTX_set_client_CA_list(c, SSL_load_client_CA_file(t.client_ca_file.c_str()));
  }
  SSL_CTX_set_ex_data(c, SslCtxIndex(), const_cast<TlsServerConfig*>(&t));
  SSL_CTX_set_verify(c, mode, mode == SSL_VERIFY_NONE ? nullptr : VerifyClient);
  return ctx;
}

Result<std::shared_ptr<const ActiveWebConfig>> Build(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(WebConfig cfg, LoadWebConfig(path));
  auto active = std::make_shared<ActiveWebConfig>();
  active->config = std::move(cfg);
  if (active->config.tls) {
    auto ctx = MakeSslContext(active->config.tls_config);  // points into active->config
    if (!ctx.ok()) return ctx.status().WithContext(path);
    active->ssl = std::move(*ctx);
  }
  if (!active->config.basic_auth_users.empty())
    active->auth = std::make_unique<BasicAuth>(active->config.basic_auth_users);
  return std::shared_ptr<const ActiveWebConfig>(std::move(active));
}

}  // namespace

Result<std::unique_ptr<WebConfigWatcher>> WebConfigWatcher::Open(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto first, Build(path));
  std::string stamp = Stamp(path, &first->config);
  return std::unique_ptr<WebConfigWatcher>(new WebConfigWatcher(path, std::move(first), stamp));
}

WebConfigWatcher::WebConfigWatcher(std::string path, std::shared_ptr<const ActiveWebConfig> first,
                                   std::string stamp)
    : path_(std::move(path)),
      tls_(first->config.tls),
      current_(std::move(first)),
      stamp_(std::move(stamp)),
      next_check_(std::chrono::steady_clock::now() + std::chrono::seconds(1)) {}

std::shared_ptr<const ActiveWebConfig> WebConfigWatcher::Current() {
  std::lock_guard<std::mutex> l(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return current_;
  next_check_ = now + std::chrono::seconds(1);
  std::string stamp = Stamp(path_, &current_->config);
  if (stamp == stamp_) return current_;
  stamp_ = stamp;  // a broken version is reported once, not on every request
  auto next = Build(path_);
  if (!next.ok()) {
    log::Error("web config: keeping the previous version", {{"err", next.status().ToString()}});
    return current_;
  }
  if ((*next)->config.tls != tls_) {
    log::Error("web config: keeping the previous version",
               {{"err", path_ + ": turning TLS on or off needs a restart"}});
    return current_;
  }
  current_ = std::move(*next);
  stamp_ = Stamp(path_, &current_->config);
  log::Info("web config reloaded", {{"file", path_}});
  return current_;
}

}  // namespace strata::server
