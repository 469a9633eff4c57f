// SHA-256 (OpenSSL), hex-encoded: object and block file hashes (--hash-func), S3 request
// signing, index cache keys.
// Thread-safety: thread-safe (each thread digests with its own context).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

// The lowercase hex SHA-256 of the parts, one after another.
std::string Sha256Hex(std::initializer_list<std::string_view> parts);
inline std::string Sha256Hex(std::string_view data) { return Sha256Hex({data}); }
// The lowercase hex SHA-256 of a file, read in 1 MiB pieces (chunk segments are up to 512 MiB).
Result<std::string> FileSha256Hex(const std::string& path);

}  // namespace strata
