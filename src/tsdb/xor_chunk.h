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
  // Timestamps must increase; the caller enforces it (and the 65535-sample limit).
  void Append(int64_t t, double v);
  uint16_t num_samples() const { return n_; }
  // The chunk so far: 2-byte big-endian sample count, then the bit stream.
  std::string Bytes() const;
  std::string Release() { return Bytes(); }

 private:
  void WriteValue(uint64_t v_bits);

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

// The decoding state of one XOR chunk past its first two samples, and the step that decodes
// the next sample. Shared by XorIterator (one sample at a time) and XorDecodeAll (whole chunks
// into arrays). Step() is inline: it is the innermost loop of every query.
struct XorCursor {
  BitReader br;
  int64_t t = 0;
  uint64_t t_delta = 0;
  uint64_t v_bits = 0;
  uint8_t leading = 0;
  uint8_t trailing = 0;

  // Decodes the next sample into t and v_bits; false on malformed data (or reading past the end).
  // (Forced inline: out of line, the state would live in memory and every sample would wait
  // on stores and reloads of it.)
  [[gnu::always_inline]] inline bool Step();
  // Decodes a value from x, the next bits of the stream left-aligned, of which `avail` are
  // real, and consumes what it used.
  [[gnu::always_inline]] inline bool ReadValueFrom(uint64_t x, int avail);
};

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
  int64_t t() const { return c_.t; }
  double v() const { return std::bit_cast<double>(c_.v_bits); }
  uint16_t num_samples() const { return total_; }
  bool failed() const { return failed_; }
  Status status() const;
  // Where a decoder stands after Next() returned true: for XorDecodeAll.
  const XorCursor& cursor() const { return c_; }

 private:
  bool Fail() {
    if (!failed_) failed_at_ = read_;
    failed_ = true;
    read_ = total_;  // makes every later Next() return false without another branch
    return false;
  }
  bool ReadVarintBytes(uint64_t* out);
  bool ReadFirst();
  bool ReadSecond();

  XorCursor c_;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  bool failed_ = false;
  uint16_t failed_at_ = 0;
};

// The number of samples a chunk holds by its header (0 for fewer than 2 bytes).
inline uint16_t XorNumSamples(std::string_view data) {
  return data.size() < 2 ? 0 : LoadBe16(data.data());
}

// Decodes every sample of each chunk, one chunk after the other, into ts and vs, which have
// room for the sum of XorNumSamples() of the chunks: no call and no branch on errors per
// sample. A malformed chunk gives the error XorIterator would.
Status XorDecodeAll(const std::string_view* chunks, size_t n, int64_t* ts, double* vs);

// The three value control codes ('0' same value, '10' previous window, '11' new window) are
// resolved with conditional moves rather than branches: real data mixes them unpredictably and
// mispredictions would dominate the cost.
inline bool XorCursor::ReadValueFrom(uint64_t x, int avail) {
  const bool changed = (x >> 63) != 0;
  const bool new_window = changed && ((x >> 62) & 1) != 0;
  const int lead = new_window ? static_cast<int>((x >> 57) & 31) : leading;
  const int sig = static_cast<int>((x >> 51) & 63);
  int mbits = new_window ? (sig == 0 ? 64 : sig) : 64 - leading - trailing;
  mbits = changed ? mbits : 0;
  const int header = new_window ? 13 : (changed ? 2 : 1);
  if (__builtin_expect(lead + mbits > 64, 0)) return false;
  const int trail = changed ? 64 - lead - mbits : trailing;
  if (__builtin_expect(header + mbits <= avail, 1)) {
    // mbits <= 56 here, so the double shift is defined and yields 0 for mbits == 0.
    v_bits ^= (((x << header) >> 1) >> (63 - mbits)) << trail;
    br.Skip(header + mbits);
  } else {
    br.Skip(header);
    v_bits ^= br.Read(mbits) << trail;
  }
  leading = static_cast<uint8_t>(lead);
  trailing = static_cast<uint8_t>(trail);
  return true;
}

inline bool XorCursor::Step() {
  // One load serves the timestamp and usually the value: Peek() gives at least 57 bits and a
  // timestamp takes at most 24 of them unless it needs the 64-bit form.
  uint64_t w = br.Peek();
  // Delta-of-delta prefix (top 4 bits): 0 (dod 0), 10 (14 bits), 110 (17), 1110 (20),
  // 1111 (64). Table-driven so that varying timestamps jitter does not cost branch misses.
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4};
  static constexpr uint8_t kSize[16] = {0, 0, 0, 0, 0, 0, 0, 0, 14, 14, 14, 14, 17, 17, 20, 64};
  const unsigned code = static_cast<unsigned>(w >> 60);
  int used;
  int64_t dod;
  if ((w >> 63) == 0) {  // regular scrape interval: the most common case
    dod = 0;
    used = 1;
  } else if (__builtin_expect(code != 15, 1)) {
    const int len = kLen[code];
    const int sz = kSize[code];
    uint64_t bits = ((w << len) >> 1) >> (63 - sz);  // 0 when sz == 0
    const uint64_t half = sz == 0 ? 0 : uint64_t{1} << (sz - 1);
    bits -= static_cast<uint64_t>(bits > half) << sz;  // two's complement sign
    dod = static_cast<int64_t>(bits);
    used = len + sz;
  } else {
    br.Skip(4);
    dod = static_cast<int64_t>(br.Read(64));
    used = 0;
    w = br.Peek();
  }
  t_delta += static_cast<uint64_t>(dod);  // wraps like Go's int64 arithmetic
  t = static_cast<int64_t>(static_cast<uint64_t>(t) + t_delta);
  br.Skip(used);
  return ReadValueFrom(w << used, 57 - used) && !br.overrun();
}

inline bool XorIterator::Next() {
  if (read_ >= total_) return false;
  if (__builtin_expect(read_ < 2, 0)) return read_ == 0 ? ReadFirst() : ReadSecond();
  if (!c_.Step()) return Fail();
  read_++;
  return true;
}

}  // namespace strata::tsdb
