// Bit-level reading and writing in Prometheus's bstream layout: bits are written most
// significant first and the last byte may be partial. Header-only because the XOR codec's inner
// loops live on these.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace strata::tsdb {

// Accumulates bits in a 64-bit register and appends whole words to a string.
class BitWriter {
 public:
  // Writes the low n bits of v (1 <= n <= 64).
  void WriteBits(uint64_t v, int n) {
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    int free = 64 - nacc_;
    if (n < free) {
      acc_ |= v << (free - n);
      nacc_ += n;
      return;
    }
    int rest = n - free;
    acc_ |= v >> rest;
    uint64_t be = __builtin_bswap64(acc_);
    char b[8];
    std::memcpy(b, &be, 8);
    buf_.append(b, 8);
    acc_ = rest == 0 ? 0 : v << (64 - rest);
    nacc_ = rest;
  }
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }
  void WriteByte(uint8_t b) { WriteBits(b, 8); }

  // The bytes written so far, the last one zero-padded.
  std::string Bytes() const {
    std::string out = buf_;
    for (int i = 0; i < (nacc_ + 7) / 8; i++)
      out.push_back(static_cast<char>(acc_ >> (56 - 8 * i)));
    return out;
  }
  size_t size_bytes() const { return buf_.size() + static_cast<size_t>((nacc_ + 7) / 8); }

 private:
  std::string buf_;
  uint64_t acc_ = 0;  // pending bits, left-aligned
  int nacc_ = 0;      // number of pending bits, < 64
};

// Reads bits at an arbitrary bit position with one unaligned 8-byte load per read: a read of up
// to 57 bits costs a load, a byte swap and two shifts. Bits past the end read as zero; callers
// check overrun() once per decoded record instead of once per read.
class BitReader {
 public:
  BitReader() = default;
  BitReader(const char* p, size_t n)
      : p_(reinterpret_cast<const uint8_t*>(p)), size_(n), end_bits_(uint64_t{n} * 8) {}

  // The next 64 bits, left-aligned; at least 57 of them are real (or zero past the end).
  inline uint64_t Peek() const {
    size_t byte = static_cast<size_t>(pos_ >> 3);
    uint64_t w;
    if (__builtin_expect(byte + 8 <= size_, 1)) {
      std::memcpy(&w, p_ + byte, 8);
      w = __builtin_bswap64(w);
    } else {
      w = 0;
      for (size_t i = byte; i < size_; i++) w |= uint64_t{p_[i]} << (56 - 8 * (i - byte));
    }
    return w << (pos_ & 7);
  }
  inline void Skip(int n) { pos_ += static_cast<uint64_t>(n); }
  // Reads n bits, 1 <= n <= 64.
  inline uint64_t Read(int n) {
    if (n <= 57) {
      uint64_t v = Peek() >> (64 - n);
      pos_ += static_cast<uint64_t>(n);
      return v;
    }
    uint64_t hi = Read(n - 32);
    return (hi << 32) | Read(32);
  }
  bool overrun() const { return pos_ > end_bits_; }

 private:
  const uint8_t* p_ = nullptr;
  size_t size_ = 0;
  uint64_t pos_ = 0;
  uint64_t end_bits_ = 0;
};

}  // namespace strata::tsdb
