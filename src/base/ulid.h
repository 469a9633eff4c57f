// ULID (https://github.com/ulid/spec): 48-bit millisecond timestamp + 80 random bits, printed as
// 26 Crockford base32 characters. Block directories and object names are ULIDs, so parsing is
// strict: exactly 26 valid characters, which also rules out path traversal via block IDs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

class Ulid {
 public:
  Ulid() = default;
  // A new ULID for the given time, with random bits from a per-thread CSPRNG-seeded generator.
  static Ulid New(int64_t unix_ms);
  static Result<Ulid> Parse(std::string_view s);
  static bool IsValid(std::string_view s) { return Parse(s).ok(); }

  int64_t TimestampMs() const;
  std::string String() const;
  const std::array<uint8_t, 16>& bytes() const { return b_; }
  auto operator<=>(const Ulid&) const = default;

 private:
  std::array<uint8_t, 16> b_{};
};

}  // namespace strata
