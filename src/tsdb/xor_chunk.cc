#include "tsdb/xor_chunk.h"

namespace strata::tsdb {

std::string_view ChunkEncodingName(uint8_t encoding) {
  switch (encoding) {
    case 0: return "none";
    case 1: return "XOR";
    case 2: return "histogram";
    case 3: return "floathistogram";
    default: return "unknown";
  }
}

Status CheckChunkEncoding(uint8_t encoding) {
  switch (static_cast<ChunkEncoding>(encoding)) {
    case ChunkEncoding::kXor: return Status::OK();
    case ChunkEncoding::kHistogram:
    case ChunkEncoding::kFloatHistogram:
      return Status::Unsupported(std::string(ChunkEncodingName(encoding)) +
                                 " chunks (native histograms) are not supported yet");
    default:
      return Status::Corruption("unknown chunk encoding " + std::to_string(encoding));
  }
}

XorAppender::XorAppender() : w_(std::string(2, '\0')) {}

void XorAppender::Append(int64_t t, double v) {
  uint64_t vb = std::bit_cast<uint64_t>(v);
  if (n_ == 0) {
    Encoder e;
    e.PutVarint(t);
    for (char c : e.buf()) w_.WriteByte(static_cast<uint8_t>(c));
    w_.WriteBits(vb, 64);
  } else if (n_ == 1) {
    t_delta_ = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    Encoder e;
    e.PutUvarint(t_delta_);
    for (char c : e.buf()) w_.WriteByte(static_cast<uint8_t>(c));
    WriteValue(v);
  } else {
    uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    auto dod = static_cast<int64_t>(delta - t_delta_);
    // bitRange(dod, n): -(2^(n-1)-1) <= dod <= 2^(n-1)
    auto fits = [dod](int n) {
      int64_t half = int64_t{1} << (n - 1);
      return -(half - 1) <= dod && dod <= half;
    };
    if (dod == 0) {
      w_.WriteBit(false);
    } else if (fits(14)) {
      w_.WriteBits(0b10, 2);
      w_.WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (fits(17)) {
      w_.WriteBits(0b110, 3);
      w_.WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (fits(20)) {
      w_.WriteBits(0b1110, 4);
      w_.WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      w_.WriteBits(0b1111, 4);
      w_.WriteBits(static_cast<uint64_t>(dod), 64);
    }
    t_delta_ = delta;
    WriteValue(v);
  }
  t_ = t;
  v_bits_ = vb;
  n_++;
  std::string& b = w_.bytes();
  b[0] = static_cast<char>(n_ >> 8);
  b[1] = static_cast<char>(n_);
}

void XorAppender::WriteValue(double v) {
  uint64_t delta = std::bit_cast<uint64_t>(v) ^ v_bits_;
  if (delta == 0) {
    w_.WriteBit(false);
    return;
  }
  w_.WriteBit(true);
  auto lead = static_cast<uint8_t>(std::countl_zero(delta));
  auto trail = static_cast<uint8_t>(std::countr_zero(delta));
  if (lead >= 32) lead = 31;  // 5 bits hold at most 31
  if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
    w_.WriteBit(false);
    w_.WriteBits(delta >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = lead;
  trailing_ = trail;
  w_.WriteBit(true);
  w_.WriteBits(lead, 5);
  int sig = 64 - lead - trail;
  w_.WriteBits(static_cast<uint64_t>(sig), 6);  // 64 wraps to 0, decoded back as 64
  w_.WriteBits(delta >> trail, sig);
}

std::string EncodeXorChunk(const int64_t* ts, const double* vs, size_t n) {
  XorAppender app;
  for (size_t i = 0; i < n; i++) app.Append(ts[i], vs[i]);
  return app.Release();
}

void XorIterator::Reset(std::string_view data) {
  *this = XorIterator();
  if (data.size() < 2) {
    failed_ = true;
    return;
  }
  total_ = LoadBe16(data.data());
  br_ = BitReader(data.data() + 2, data.size() - 2);
}

bool XorIterator::ReadFirst() {
  // The first timestamp is a varint written byte by byte into the bit stream.
  uint64_t x = 0;
  for (int shift = 0;; shift += 7) {
    uint64_t byte;
    if (shift > 63 || !br_.ReadBits(8, &byte)) return Fail();
    x |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  t_ = static_cast<int64_t>(x >> 1) ^ -static_cast<int64_t>(x & 1);
  if (!br_.ReadBits(64, &v_bits_)) return Fail();
  read_++;
  return true;
}

bool XorIterator::ReadSecond() {
  uint64_t x = 0;
  for (int shift = 0;; shift += 7) {
    uint64_t byte;
    if (shift > 63 || !br_.ReadBits(8, &byte)) return Fail();
    x |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  t_delta_ = x;
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + t_delta_);
  if (!ReadValue()) return false;
  read_++;
  return true;
}

bool XorIterator::Seek(int64_t t) {
  if (read_ > 0 && t_ >= t) return true;
  while (Next()) {
    if (t_ >= t) return true;
  }
  return false;
}

Status XorIterator::status() const {
  if (!failed_) return Status::OK();
  return Status::Corruption("XOR chunk is truncated or malformed after " +
                            std::to_string(failed_at_) + " of " + std::to_string(total_) + " samples");
}

}  // namespace strata::tsdb
