#include "objstore/sigv4.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "base/encoding.h"
#include "base/sha256.h"

namespace strata::objstore {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::string AmzDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SigV4Authorization(const SigV4Request& req, const SigV4Credentials& creds,
                               std::string_view region, std::string_view amz_date) {
  // Canonical query string: encoded pairs sorted by key then value.
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : req.query) q.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(q.begin(), q.end());
  std::string query;
  for (const auto& [k, v] : q) {
    if (!query.empty()) query += '&';
    query += k + "=" + v;
  }
  // Canonical headers: lower-case names, trimmed values, sorted.
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : req.headers) h.emplace_back(Lower(k), Trim(v));
  std::sort(h.begin(), h.end());
  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : h) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  std::string canonical = req.method + "\n" + req.path + "\n" + query + "\n" + canonical_headers +
                          "\n" + signed_headers + "\n" + req.payload_hash;
  std::string date(amz_date.substr(0, 8));
  std::string scope = date + "/" + std::string(region) + "/s3/aws4_request";
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string key = Hmac("AWS4" + creds.secret_key, date);
  key = Hmac(key, region);
  key = Hmac(key, "s3");
  key = Hmac(key, "aws4_request");
  std::string sig = Hmac(key, to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key + "/" + scope +
         ", SignedHeaders=" + signed_headers + ", Signature=" + HexEncode(sig);
}

}  // namespace strata::objstore
