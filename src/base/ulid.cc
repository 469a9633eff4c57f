#include "base/ulid.h"

#include <random>

namespace strata {
namespace {

__extension__ using Uint128 = unsigned __int128;

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (int i = 0; i < 32; i++) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

Ulid Ulid::New(int64_t unix_ms) {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }());
  Ulid u;
  auto ts = static_cast<uint64_t>(unix_ms);
  for (int i = 0; i < 6; i++) u.b_[i] = static_cast<uint8_t>(ts >> (40 - 8 * i));
  uint64_t r1 = rng(), r2 = rng();
  for (int i = 0; i < 8; i++) u.b_[6 + i] = static_cast<uint8_t>(r1 >> (8 * i));
  u.b_[14] = static_cast<uint8_t>(r2);
  u.b_[15] = static_cast<uint8_t>(r2 >> 8);
  return u;
}

// The 128 bits are printed as 26 5-bit groups, most significant first (the first holds 3 bits).
std::string Ulid::String() const {
  std::string s(26, '0');
  Uint128 v = 0;
  for (uint8_t b : b_) v = (v << 8) | b;
  for (int i = 25; i >= 0; i--) {
    s[i] = kAlphabet[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return s;
}

Result<Ulid> Ulid::Parse(std::string_view s) {
  if (s.size() != 26) {
    return Status::InvalidArgument("invalid ULID \"" + std::string(s.substr(0, 64)) +
                                   "\": want 26 characters, got " + std::to_string(s.size()));
  }
  Uint128 v = 0;
  for (size_t i = 0; i < s.size(); i++) {
    int d = DecodeChar(s[i]);
    if (d < 0) {
      return Status::InvalidArgument("invalid ULID \"" + std::string(s) + "\": bad character at " +
                                     std::to_string(i));
    }
    if (i == 0 && d > 7) {
      return Status::InvalidArgument("invalid ULID \"" + std::string(s) + "\": overflows 128 bits");
    }
    v = (v << 5) | static_cast<unsigned>(d);
  }
  Ulid u;
  for (int i = 15; i >= 0; i--) {
    u.b_[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return u;
}

int64_t Ulid::TimestampMs() const {
  uint64_t ts = 0;
  for (int i = 0; i < 6; i++) ts = (ts << 8) | b_[i];
  return static_cast<int64_t>(ts);
}

}  // namespace strata
