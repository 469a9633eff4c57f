#include "base/encoding.h"

#include <string>

namespace strata {

void Encoder::PutBe16(uint16_t v) {
  PutByte(static_cast<uint8_t>(v >> 8));
  PutByte(static_cast<uint8_t>(v));
}

void Encoder::PutBe32(uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  buf_.append(b, 4);
}

void Encoder::PutBe64(uint64_t v) {
  PutBe32(static_cast<uint32_t>(v >> 32));
  PutBe32(static_cast<uint32_t>(v));
}

void Encoder::PutUvarint(uint64_t v) {
  while (v >= 0x80) {
    PutByte(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  PutByte(static_cast<uint8_t>(v));
}

void Encoder::PatchBe32(size_t pos, uint32_t v) {
  buf_[pos] = static_cast<char>(v >> 24);
  buf_[pos + 1] = static_cast<char>(v >> 16);
  buf_[pos + 2] = static_cast<char>(v >> 8);
  buf_[pos + 3] = static_cast<char>(v);
}

int DecodeUvarint(const char* p, size_t n, uint64_t* out) {
  uint64_t x = 0;
  unsigned shift = 0;
  for (size_t i = 0; i < n; i++) {
    auto b = static_cast<uint8_t>(p[i]);
    if (i == kMaxVarintLen64 - 1 && b > 1) return -1;
    if (i == kMaxVarintLen64) return -1;
    if (b < 0x80) {
      *out = x | (uint64_t{b} << shift);
      return static_cast<int>(i + 1);
    }
    x |= uint64_t{b & 0x7fu} << shift;
    shift += 7;
  }
  return 0;
}

uint8_t Decoder::Byte() {
  if (remaining() < 1) {
    Fail("unexpected end of data");
    return 0;
  }
  return static_cast<uint8_t>(b_[pos_++]);
}

uint16_t Decoder::Be16() {
  if (remaining() < 2) {
    Fail("unexpected end of data");
    return 0;
  }
  uint16_t v = LoadBe16(b_.data() + pos_);
  pos_ += 2;
  return v;
}

uint32_t Decoder::Be32() {
  if (remaining() < 4) {
    Fail("unexpected end of data");
    return 0;
  }
  uint32_t v = LoadBe32(b_.data() + pos_);
  pos_ += 4;
  return v;
}

uint64_t Decoder::Be64() {
  if (remaining() < 8) {
    Fail("unexpected end of data");
    return 0;
  }
  uint64_t v = LoadBe64(b_.data() + pos_);
  pos_ += 8;
  return v;
}

uint64_t Decoder::Uvarint() {
  uint64_t v = 0;
  int n = DecodeUvarint(b_.data() + pos_, remaining(), &v);
  if (n == 0) {
    Fail("unexpected end of data in varint");
    return 0;
  }
  if (n < 0) {
    Fail("varint overflows 64 bits");
    return 0;
  }
  pos_ += static_cast<size_t>(n);
  return v;
}

uint32_t Decoder::Uvarint32() {
  uint64_t v = Uvarint();
  if (v > UINT32_MAX) {
    Fail("varint overflows 32 bits");
    return 0;
  }
  return static_cast<uint32_t>(v);
}

int64_t Decoder::Varint() {
  uint64_t u = Uvarint();
  return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
}

std::string_view Decoder::Bytes(size_t n) {
  if (n > remaining()) {
    Fail("length exceeds the remaining data");
    return {};
  }
  std::string_view s = b_.substr(pos_, n);
  pos_ += n;
  return s;
}

std::string Decoder::Error() const {
  if (err_ == nullptr) return {};
  return std::string(err_) + " at offset " + std::to_string(err_pos_);
}

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); i++) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 15];
  }
  return out;
}

}  // namespace strata
