// S3 bucket over libcurl with AWS Signature V4: path-style or virtual-hosted addressing,
// ListObjectsV2 with continuation tokens, ranged GETs with length checks, multipart uploads
// (aborted on failure), retries with exponential backoff and jitter on connection errors,
// timeouts, 5xx and 429, and reuse of connections through a pool of curl handles.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "objstore/bucket.h"

namespace strata::objstore {

// The `config:` of `type: S3`, with Thanos's key names and defaults.
struct S3Config {
  std::string bucket;
  std::string endpoint;
  std::string region;
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  bool insecure = false;
  std::string bucket_lookup_type = "auto";  // auto | path | virtual-hosted
  int64_t part_size = 64ll << 20;
  std::map<std::string, std::string> put_user_metadata;
  std::string sse_type;  // "" or "SSE-S3"
  int max_retries = 10;
  struct Http {
    int64_t idle_conn_timeout_ms = 90'000;
    int64_t response_header_timeout_ms = 120'000;  // also the stall timeout of a transfer
    int64_t tls_handshake_timeout_ms = 10'000;
    bool insecure_skip_verify = false;
    std::string ca_file, cert_file, key_file, server_name;
  } http;
  // Backoff before retry n (0-based): min(base·2^n, cap), with full jitter. Tests shorten these.
  int64_t retry_base_ms = 100;
  int64_t retry_cap_ms = 5'000;
};

Result<std::unique_ptr<Bucket>> NewS3Bucket(const S3Config& config);

}  // namespace strata::objstore
