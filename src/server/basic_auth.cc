#include "server/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

namespace strata::server {
namespace {

// A valid hash of a random password, compared against for unknown users so that their
// answer takes as long as a wrong password's.
constexpr char kDummyHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPetfaW73XEEa7Dl59vD12h863ti/QrW0S";
constexpr size_t kMaxRemembered = 1024;

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  out->assign(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '=' && len > 0; i--) len--;
  out->resize(len);
  return true;
}

std::string Digest(const std::string& user, const std::string& hash, const std::string& pass) {
  std::string in = user + '\0' + hash + '\0' + pass;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof(md));
}

}  // namespace

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;  // "*0"/"*1": libcrypt's failure tokens
  const std::string_view got(out);
  return got.size() == hash.size() && CRYPTO_memcmp(got.data(), hash.data(), hash.size()) == 0;
}

bool BasicAuth::Check(std::string_view authorization, std::string* user, std::string* why) {
  constexpr std::string_view kPrefix = "Basic ";
  if (authorization.empty()) {
    *why = "no credentials";
    return false;
  }
  if (!authorization.starts_with(kPrefix)) {
    *why = "Authorization header is not Basic";
    return false;
  }
  std::string decoded;
  if (!Base64Decode(authorization.substr(kPrefix.size()), &decoded)) {
    *why = "malformed base64 in the Authorization header";
    return false;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    *why = "no user:password in the Authorization header";
    return false;
  }
  *user = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  auto it = users_.find(*user);
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : std::string(kDummyHash);
  const std::string digest = Digest(*user, hash, password);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (known && verified_.contains(digest)) return true;
  }
  const bool ok = BcryptMatches(password, hash) && known;
  if (!ok) {
    *why = known ? "wrong password" : "unknown user";
    return false;
  }
  std::lock_guard<std::mutex> l(mu_);
  if (verified_.size() >= kMaxRemembered) verified_.clear();
  verified_.insert(digest);
  return true;
}

}  // namespace strata::server
