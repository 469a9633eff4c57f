#include "tls/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "base/file.h"

namespace strata::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Result<Bio> OpenPem(const std::string& path, std::string_view what) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status().WithContext(what);
  // BIO_new_mem_buf keeps a pointer only; the copy lives in the BIO.
  Bio bio(BIO_new(BIO_s_mem()));
  BIO_write(bio.get(), data->data(), static_cast<int>(data->size()));
  return bio;
}

// Reads every certificate of a PEM file; the first is returned.
Result<std::unique_ptr<X509, X509Free>> ReadCertificates(const std::string& path,
                                                         std::string_view what) {
  STRATA_ASSIGN_OR_RETURN(Bio bio, OpenPem(path, what));
  std::unique_ptr<X509, X509Free> first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (first == nullptr)
    return Status::InvalidArgument(std::string(what) + ": " + path +
                                   " holds no PEM certificate: " + OpenSslErrors());
  // The rest of a chain must parse too; reading ends with a "no start line" error.
  for (;;) {
    std::unique_ptr<X509, X509Free> next(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (next == nullptr) break;
  }
  ERR_clear_error();
  return first;
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status CheckKeyPair(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() || key_file.empty())
    return Status::InvalidArgument("both a certificate and its key must be given");
  STRATA_ASSIGN_OR_RETURN(auto cert, ReadCertificates(cert_file, "TLS certificate"));
  STRATA_ASSIGN_OR_RETURN(Bio bio, OpenPem(key_file, "TLS key"));
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr)
    return Status::InvalidArgument("TLS key: " + key_file +
                                   " holds no unencrypted PEM private key: " + OpenSslErrors());
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("TLS key " + key_file + " does not belong to certificate " +
                                   cert_file);
  }
  return Status::OK();
}

Status CheckCaFile(const std::string& ca_file) {
  return ReadCertificates(ca_file, "TLS CA").status();
}

}  // namespace strata::tls
