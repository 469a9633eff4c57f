// Bit-level streams in Prometheus's bstream layout: bits are written most significant first,
// the last byte may be partial. Header-only because the XOR codec's inner loops live on these.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace strata::tsdb {

class BitWriter {
 public:
  BitWriter() = default;
  // Continues after existing whole bytes (e.g. a chunk header).
  explicit BitWriter(std::string initial) : buf_(std::move(initial)) {}

  std::string& bytes() { return buf_; }
  const std::string& bytes() const { return buf_; }

  void WriteBit(bool bit) {
    if (free_ == 0) {
      buf_.push_back(0);
      free_ = 8;
    }
    free_--;
    if (bit) buf_.back() = static_cast<char>(buf_.back() | (1 << free_));
  }

  // Writes the low n bits of v (1 <= n <= 64).
  void WriteBits(uint64_t v, int n) {
    v <<= 64 - n;  // left-align
    while (n > 0) {
      if (free_ == 0) {
        buf_.push_back(0);
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      auto bits = static_cast<unsigned>(v >> (64 - take));
      buf_.back() = static_cast<char>(static_cast<unsigned char>(buf_.back()) |
                                       (bits << (free_ - take)));
      v = take == 64 ? 0 : v << take;
      n -= take;
      free_ -= take;
    }
  }

  void WriteByte(uint8_t b) { WriteBits(b, 8); }

 private:
  std::string buf_;
  int free_ = 0;  // unused bits in buf_.back()
};

// Reads a byte buffer bit by bit. Keeps up to 64 bits in a register, refilled 8 bytes at a time.
// Reads past the end fail (return false) and leave the reader exhausted.
class BitReader {
 public:
  BitReader() = default;
  BitReader(const char* p, size_t n)
      : p_(reinterpret_cast<const uint8_t*>(p)), end_(p_ + n) {}

  // Reads n bits (1 <= n <= 64) into *out.
  inline bool ReadBits(int n, uint64_t* out) {
    if (n <= valid_) {
      *out = Take(n);
      return true;
    }
    int have = valid_;
    uint64_t hi = have > 0 ? Take(have) : 0;
    if (!Refill()) return false;
    int rest = n - have;
    if (rest > valid_) return false;
    uint64_t lo = Take(rest);
    *out = have == 0 ? lo : (hi << rest) | lo;
    return true;
  }

  inline bool ReadBit(bool* bit) {
    if (valid_ == 0 && !Refill()) return false;
    *bit = (buf_ >> 63) != 0;
    buf_ <<= 1;
    valid_--;
    return true;
  }

  // Number of leading one bits in the next `max` bits (stops at the first zero, consuming it).
  // Used for the delta-of-delta prefix: 0, 10, 110, 1110, 1111.
  inline bool ReadOnesPrefix(int max, int* ones) {
    int n = 0;
    while (n < max) {
      bool b;
      if (!ReadBit(&b)) return false;
      if (!b) break;
      n++;
    }
    *ones = n;
    return true;
  }

 private:
  inline uint64_t Take(int n) {
    uint64_t v = buf_ >> (64 - n);
    buf_ = n == 64 ? 0 : buf_ << n;
    valid_ -= n;
    return v;
  }

  inline bool Refill() {
    size_t left = static_cast<size_t>(end_ - p_);
    if (left >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      buf_ = __builtin_bswap64(w);
      valid_ = 64;
      p_ += 8;
      return true;
    }
    if (left == 0) return false;
    uint64_t w = 0;
    for (size_t i = 0; i < left; i++) w = (w << 8) | p_[i];
    buf_ = w << (64 - 8 * left);
    valid_ = static_cast<int>(8 * left);
    p_ = end_;
    return true;
  }

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t buf_ = 0;
  int valid_ = 0;
};

}  // namespace strata::tsdb
