// AWS Signature Version 4 for S3 requests (header-based signing). Pure functions over the
// request's parts, so they can be checked against AWS's published examples.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::objstore {

struct SigV4Request {
  std::string method;                                        // "GET"
  std::string path;                                          // already URI-encoded, "/bucket/key"
  std::vector<std::pair<std::string, std::string>> query;    // decoded key/value pairs
  std::vector<std::pair<std::string, std::string>> headers;  // must include host, x-amz-date,
                                                             // x-amz-content-sha256
  std::string payload_hash;                                  // hex SHA-256 or UNSIGNED-PAYLOAD
};

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional
};

// The Authorization header value. amz_date is "YYYYMMDDTHHMMSSZ".
std::string SigV4Authorization(const SigV4Request& req, const SigV4Credentials& creds,
                               std::string_view region, std::string_view amz_date);

// Helpers shared with the S3 client.
std::string AmzDate(int64_t unix_seconds);  // "20130524T000000Z"

}  // namespace strata::objstore
