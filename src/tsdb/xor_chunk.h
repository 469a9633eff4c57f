// Prometheus's XOR chunk (Gorilla compression with millisecond timestamps), bit-for-bit:
//   uint16 BE sample count | ts0 varint | v0 64 bits | ts1-ts0 uvarint | v1 xor | (dod, xor)...
// The iterator's Next() is inline: it is the innermost loop of every query.
// Thread-safety: appenders and iterators are single-threaded; chunk bytes are immutable.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "base/status.h"
#include "tsdb/bit_stream.h"

namespace strata::tsdb {

enum class ChunkEncoding : uint8_t { kNone = 0, kXor = 1, kHistogram = 2, kFloatHistogram = 3 };

// Checks that a stored chunk can be decoded: XOR is supported; histogram encodings are
// recognised and reported as unsupported; anything else is corruption.
Status CheckChunkEncoding(uint8_t encoding);
std::string_view ChunkEncodingName(uint8_t encoding);

class XorAppender {
 public:
  XorAppender();
  // Timestamps must increase; the caller enforces it (and the 65535-sample limit).
  void Append(int64_t t, double v);
  uint16_t num_samples() const { return n_; }
  std::string_view bytes() const { return w_.bytes(); }
  std::string Release() { return std::move(w_.bytes()); }

 private:
  void WriteValue(double v);

  BitWriter w_;
  uint16_t n_ = 0;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
};

// Encodes whole sample arrays into one chunk (used by tests, benchmarks and writers).
std::string EncodeXorChunk(const int64_t* ts, const double* vs, size_t n);

class XorIterator {
 public:
  XorIterator() = default;
  // data is the chunk body including the 2-byte count; fewer than 2 bytes reads as empty+error.
  explicit XorIterator(std::string_view data) { Reset(data); }
  void Reset(std::string_view data);

  // Advances to the next sample; false at the end or on malformed data (see status()).
  inline bool Next();
  // Advances to the first sample with timestamp >= t (staying put if already there).
  bool Seek(int64_t t);
  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(v_bits_); }
  uint16_t num_samples() const { return total_; }
  bool failed() const { return failed_; }
  Status status() const;

 private:
  bool Fail() {
    if (!failed_) failed_at_ = read_;
    failed_ = true;
    read_ = total_;  // makes every later Next() return false without another branch
    return false;
  }
  bool ReadFirst();
  bool ReadSecond();
  inline bool ReadValue();

  BitReader br_;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  bool failed_ = false;
  uint16_t failed_at_ = 0;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
};

inline bool XorIterator::ReadValue() {
  bool bit;
  if (!br_.ReadBit(&bit)) return Fail();
  if (!bit) return true;  // same value
  if (!br_.ReadBit(&bit)) return Fail();
  int mbits;
  if (!bit) {
    mbits = 64 - leading_ - trailing_;  // reuse the previous window
  } else {
    uint64_t lead, sig;
    if (!br_.ReadBits(5, &lead) || !br_.ReadBits(6, &sig)) return Fail();
    mbits = sig == 0 ? 64 : static_cast<int>(sig);  // 0 encodes 64 significant bits
    if (static_cast<int>(lead) + mbits > 64) return Fail();
    leading_ = static_cast<uint8_t>(lead);
    trailing_ = static_cast<uint8_t>(64 - lead - mbits);
  }
  if (mbits <= 0) return Fail();
  uint64_t bits;
  if (!br_.ReadBits(mbits, &bits)) return Fail();
  v_bits_ ^= bits << trailing_;
  return true;
}

inline bool XorIterator::Next() {
  if (read_ >= total_) return false;
  if (__builtin_expect(read_ < 2, 0)) return read_ == 0 ? ReadFirst() : ReadSecond();
  int ones;
  if (!br_.ReadOnesPrefix(4, &ones)) return Fail();
  int64_t dod = 0;
  if (ones > 0) {
    static constexpr int kSizes[5] = {0, 14, 17, 20, 64};
    int sz = kSizes[ones];
    uint64_t bits;
    if (!br_.ReadBits(sz, &bits)) return Fail();
    if (sz < 64 && bits > (uint64_t{1} << (sz - 1))) bits -= uint64_t{1} << sz;  // sign
    dod = static_cast<int64_t>(bits);
  }
  t_delta_ += static_cast<uint64_t>(dod);  // wraps like Go's int64 arithmetic
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
  if (!ReadValue()) return false;
  read_++;
  return true;
}

}  // namespace strata::tsdb
