#include "tsdb/xor_chunk.h"

#include <algorithm>

namespace strata::tsdb {

std::string_view ChunkEncodingName(uint8_t encoding) {
  switch (encoding) {
    case 0:
      return "none";
    case 1:
      return "XOR";
    case 2:
      return "histogram";
    case 3:
      return "floathistogram";
    case 0xff:
      return "aggregate";
    default:
      return "unknown";
  }
}

Status CheckChunkEncoding(uint8_t encoding) {
  switch (static_cast<ChunkEncoding>(encoding)) {
    case ChunkEncoding::kXor:
      return Status::OK();
    case ChunkEncoding::kHistogram:
    case ChunkEncoding::kFloatHistogram:
      return Status::Unsupported(std::string(ChunkEncodingName(encoding)) +
                                 " chunks (native histograms) are not supported yet");
    default:
      if (encoding == 0xff)
        return Status::Unsupported(
            "aggregate chunks of downsampled blocks are served by the store gateway only");
      return Status::Corruption("unknown chunk encoding " + std::to_string(encoding));
  }
}

void XorAppender::Append(int64_t t, double v) {
  uint64_t vb = std::bit_cast<uint64_t>(v);
  if (n_ == 0) {
    w_.WriteBits(0, 16);  // sample count, filled in by Bytes()
    Encoder e;
    e.PutVarint(t);
    for (char c : e.buf()) w_.WriteByte(static_cast<uint8_t>(c));
    w_.WriteBits(vb, 64);
  } else if (n_ == 1) {
    t_delta_ = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    Encoder e;
    e.PutUvarint(t_delta_);
    for (char c : e.buf()) w_.WriteByte(static_cast<uint8_t>(c));
    WriteValue(vb);
  } else {
    uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    auto dod = static_cast<int64_t>(delta - t_delta_);
    // bitRange(dod, n): -(2^(n-1)-1) <= dod <= 2^(n-1)
    auto fits = [dod](int n) {
      int64_t half = int64_t{1} << (n - 1);
      return -(half - 1) <= dod && dod <= half;
    };
    auto udod = static_cast<uint64_t>(dod);
    if (dod == 0) {
      w_.WriteBits(0, 1);
    } else if (fits(14)) {
      w_.WriteBits((uint64_t{0b10} << 14) | (udod & 0x3fff), 16);
    } else if (fits(17)) {
      w_.WriteBits((uint64_t{0b110} << 17) | (udod & 0x1ffff), 20);
    } else if (fits(20)) {
      w_.WriteBits((uint64_t{0b1110} << 20) | (udod & 0xfffff), 24);
    } else {
      w_.WriteBits(0b1111, 4);
      w_.WriteBits(udod, 64);
    }
    t_delta_ = delta;
    WriteValue(vb);
  }
  t_ = t;
  v_bits_ = vb;
  n_++;
}

std::string XorAppender::Bytes() const {
  std::string b = w_.Bytes();
  if (b.size() < 2) b.resize(2, '\0');
  b[0] = static_cast<char>(n_ >> 8);
  b[1] = static_cast<char>(n_);
  return b;
}

void XorAppender::WriteValue(uint64_t vb) {
  uint64_t delta = vb ^ v_bits_;
  if (delta == 0) {
    w_.WriteBits(0, 1);
    return;
  }
  auto lead = static_cast<uint8_t>(std::countl_zero(delta));
  auto trail = static_cast<uint8_t>(std::countr_zero(delta));
  if (lead >= 32) lead = 31;  // 5 bits hold at most 31
  if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
    int sig = 64 - leading_ - trailing_;
    if (sig <= 62) {
      w_.WriteBits((uint64_t{0b10} << sig) | (delta >> trailing_), 2 + sig);
    } else {
      w_.WriteBits(0b10, 2);
      w_.WriteBits(delta >> trailing_, sig);
    }
    return;
  }
  leading_ = lead;
  trailing_ = trail;
  int sig = 64 - lead - trail;
  // '11', 5 bits leading zeros, 6 bits significant bits (64 wraps to 0, read back as 64).
  w_.WriteBits((uint64_t{0b11} << 11) | (uint64_t{lead} << 6) | (static_cast<uint64_t>(sig) & 63),
               13);
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
  c_.br = BitReader(data.data() + 2, data.size() - 2);
}

// Timestamps of the first two samples are varints written byte by byte into the bit stream.
bool XorIterator::ReadVarintBytes(uint64_t* out) {
  uint64_t x = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    uint64_t byte = c_.br.Read(8);
    x |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *out = x;
      return !c_.br.overrun();
    }
  }
  return false;
}

bool XorIterator::ReadFirst() {
  uint64_t x;
  if (!ReadVarintBytes(&x)) return Fail();
  c_.t = static_cast<int64_t>(x >> 1) ^ -static_cast<int64_t>(x & 1);
  c_.v_bits = c_.br.Read(64);
  if (c_.br.overrun()) return Fail();
  read_++;
  return true;
}

bool XorIterator::ReadSecond() {
  if (!ReadVarintBytes(&c_.t_delta)) return Fail();
  c_.t = static_cast<int64_t>(static_cast<uint64_t>(c_.t) + c_.t_delta);
  if (!c_.ReadValueFrom(c_.br.Peek(), 57) || c_.br.overrun()) return Fail();
  read_++;
  return true;
}

bool XorIterator::Seek(int64_t t) {
  if (read_ > 0 && c_.t >= t) return true;
  while (Next()) {
    if (c_.t >= t) return true;
  }
  return false;
}

namespace {

// The error of a chunk XorDecodeAll failed on, as XorIterator reports it.
Status ChunkError(std::string_view chunk) {
  XorIterator it(chunk);
  while (it.Next()) {
  }
  return it.failed() ? it.status() : Status::Corruption("XOR chunk is malformed");
}

}  // namespace

Status XorDecodeAll(const std::string_view* chunks, size_t n, int64_t* ts, double* vs) {
  for (size_t i = 0; i < n; i++) {
    // The first two samples are stored differently; the iterator reads them.
    XorIterator it(chunks[i]);
    const size_t total = it.num_samples();
    size_t j = 0;
    for (; j < std::min<size_t>(2, total) && it.Next(); j++) {
      ts[j] = it.t();
      vs[j] = it.v();
    }
    if (it.failed()) return it.status();
    // A local copy stays in registers; errors are collected, not branched on, per sample.
    XorCursor c = it.cursor();
    bool ok = true;
    for (; j < total; j++) {
      ok &= c.Step();
      ts[j] = c.t;
      vs[j] = std::bit_cast<double>(c.v_bits);
    }
    if (!ok) return ChunkError(chunks[i]);
    ts += total;
    vs += total;
  }
  return Status::OK();
}

Status XorIterator::status() const {
  if (!failed_) return Status::OK();
  return Status::Corruption("XOR chunk is truncated or malformed after " +
                            std::to_string(failed_at_) + " of " + std::to_string(total_) +
                            " samples");
}

}  // namespace strata::tsdb
