// HTTP basic authentication against the bcrypt hashes of a web config's basic_auth_users.
// bcrypt is slow by design (tens of ms), so successful checks are remembered by a SHA-256 of
// user, hash and password; failures always pay the full cost, unknown users included.
// Thread-safety: safe for concurrent use.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace strata::server {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}
  bool enabled() const { return !users_.empty(); }
  // authorization: the request's Authorization header. On failure *why says what was wrong
  // (for the log, never for the client); *user is the user name given, if any.
  bool Check(std::string_view authorization, std::string* user, std::string* why);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mu_;
  std::unordered_set<std::string> verified_;  // SHA-256 digests of good (user, hash, password)
};

// bcrypt: does password match hash ($2a$/$2b$/$2y$)? Through libcrypt's crypt_r.
bool BcryptMatches(const std::string& password, const std::string& hash);

}  // namespace strata::server
