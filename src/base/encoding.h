// Binary encoding helpers shared by every on-disk and on-wire format: big-endian integers and
// Go-compatible varints (encoding/binary's PutUvarint/PutVarint, zig-zag for signed).
// Encoder appends to a std::string; Decoder reads a std::string_view with a sticky error so a
// truncated or malformed buffer can never be read past its end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

constexpr int kMaxVarintLen64 = 10;

class Encoder {
 public:
  void PutByte(uint8_t b) { buf_.push_back(static_cast<char>(b)); }
  void PutBe16(uint16_t v);
  void PutBe32(uint32_t v);
  void PutBe64(uint64_t v);
  void PutUvarint(uint64_t v);
  void PutVarint(int64_t v) {
    PutUvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void PutBytes(std::string_view b) { buf_.append(b); }
  void PutUvarintStr(std::string_view s) {
    PutUvarint(s.size());
    PutBytes(s);
  }
  // Overwrites 4 bytes at pos (for length fields known only after the body is written).
  void PatchBe32(size_t pos, uint32_t v);

  size_t size() const { return buf_.size(); }
  std::string& buf() { return buf_; }
  const std::string& buf() const { return buf_; }
  void Reset() { buf_.clear(); }

 private:
  std::string buf_;
};

// Fixed-width big-endian loads from raw memory (the caller guarantees the bytes exist).
inline uint16_t LoadBe16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t LoadBe32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}
inline uint64_t LoadBe64(const char* p) { return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4); }

// Decodes a uvarint at p (at most n bytes). Returns the number of bytes used, 0 if the buffer
// ended first, or -1 if the value overflows 64 bits (Go's binary.Uvarint semantics).
int DecodeUvarint(const char* p, size_t n, uint64_t* out);

class Decoder {
 public:
  explicit Decoder(std::string_view b) : b_(b) {}

  uint8_t Byte();
  uint16_t Be16();
  uint32_t Be32();
  uint64_t Be64();
  uint64_t Uvarint();
  uint32_t Uvarint32();  // fails if the value does not fit 32 bits
  int64_t Varint();
  std::string_view Bytes(size_t n);
  std::string_view UvarintStr() { return Bytes(Uvarint()); }
  void Skip(size_t n) { Bytes(n); }

  bool ok() const { return err_ == nullptr; }
  // What went wrong and at which byte offset of the decoded buffer, e.g. "unexpected end of
  // data at offset 17"; empty when ok().
  std::string Error() const;
  size_t offset() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  void Fail(const char* what) {
    if (err_ == nullptr) {
      err_ = what;
      err_pos_ = pos_;
    }
    pos_ = b_.size();
  }

  std::string_view b_;
  size_t pos_ = 0;
  const char* err_ = nullptr;
  size_t err_pos_ = 0;
};

// RFC 3986 percent-encoding: every byte but the unreserved A-Z a-z 0-9 - _ . ~ (and '/' unless
// encode_slash) as %XX, as S3's SigV4 canonical URIs and the UI's path prefixes need it.
std::string UriEncode(std::string_view s, bool encode_slash);

// Lower-case hex of bytes ("\x01\xab" -> "01ab"), as digests are printed.
std::string HexEncode(std::string_view bytes);

}  // namespace strata
