#include "tsdb/chunk_file.h"

#include <dirent.h>

#include <algorithm>
#include <cstdio>

#include "base/crc32c.h"
#include "base/encoding.h"

namespace strata::tsdb {
std::string SegmentName(uint32_t index) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%06u", index);
  return buf;
}

Status ChunkWriter::Close() {
  if (!open_) return Status::OK();
  open_ = false;
  return file_.Close();
}

Status ChunkWriter::Cut() {
  STRATA_RETURN_IF_ERROR(Close());
  names_.push_back(SegmentName(static_cast<uint32_t>(names_.size() + 1)));
  STRATA_ASSIGN_OR_RETURN(file_, BufferedFile::Create(dir_ + "/" + names_.back()));
  open_ = true;
  Encoder e;
  e.PutBe32(kChunksMagic);
  e.PutByte(1);
  e.PutBytes(std::string_view("\0\0\0", 3));
  return file_.Write(e.buf());
}

Result<uint64_t> ChunkWriter::Write(uint8_t encoding, std::string_view data,
                                    std::optional<uint32_t> crc) {
  // The header goes through a reused buffer: compaction writes millions of small chunks.
  head_.Reset();
  head_.PutUvarint(data.size());
  head_.PutByte(encoding);
  const size_t len = head_.size() + data.size() + 4;
  if (!open_ || file_.pos() + len > segment_size_) STRATA_RETURN_IF_ERROR(Cut());
  if (file_.pos() > UINT32_MAX) return Status::OutOfRange("chunk segment offset exceeds 32 bits");
  uint64_t ref =
      ChunkRef::Make(static_cast<uint32_t>(names_.size() - 1), static_cast<uint32_t>(file_.pos()));
  const uint32_t sum =
      crc ? *crc : Crc32c(data, Crc32c(std::string_view(head_.buf()).substr(head_.size() - 1)));
  STRATA_RETURN_IF_ERROR(file_.Write(head_.buf()));
  STRATA_RETURN_IF_ERROR(file_.Write(data));
  head_.Reset();
  head_.PutBe32(sum);
  STRATA_RETURN_IF_ERROR(file_.Write(head_.buf()));
  return ref;
}

Result<ChunkReader> ChunkReader::Open(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("open chunks directory", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (!n.empty() &&
        std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      names.emplace_back(n);
    }
  }
  ::closedir(d);
  // Numeric order; names have equal width in practice, but sort by value to be safe.
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  ChunkReader r;
  for (const auto& n : names) {
    STRATA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(dir + "/" + n));
    if (f.size() < kChunksHeaderSize) {
      return Status::Corruption("chunk segment " + f.path() + ": file of " +
                                std::to_string(f.size()) + " bytes is shorter than its header");
    }
    uint32_t magic = LoadBe32(f.data().data());
    if (magic != kChunksMagic) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%08x", magic);
      return Status::Corruption("chunk segment " + f.path() + ": invalid magic number " + buf +
                                " at offset 0");
    }
    if (f.data()[4] != 1) {
      return Status::Corruption("chunk segment " + f.path() + ": unsupported format version " +
                                std::to_string(static_cast<int>(f.data()[4])) + " at offset 4");
    }
    r.segments_.push_back(std::move(f));
  }
  return r;
}

void ChunkReader::DropBefore(uint64_t ref) const {
  const uint32_t seg = ChunkRef::Segment(ref);
  for (uint32_t s = 0; s < seg && s < segments_.size(); s++)
    segments_[s].DropPagesBefore(segments_[s].size());
  if (seg < segments_.size()) segments_[seg].DropPagesBefore(ChunkRef::Offset(ref));
}

Result<ChunkData> ChunkReader::Chunk(uint64_t ref) const {
  uint32_t seg = ChunkRef::Segment(ref);
  uint32_t off = ChunkRef::Offset(ref);
  if (seg >= segments_.size()) {
    return Status::Corruption("chunk reference " + std::to_string(ref) + " names segment " +
                              std::to_string(seg + 1) + " but only " +
                              std::to_string(segments_.size()) + " exist");
  }
  const MappedFile& f = segments_[seg];
  auto where = [&](uint64_t at) {
    return "chunk segment " + f.path() + " at offset " + std::to_string(at) + ": ";
  };
  std::string_view b = f.data();
  if (off < kChunksHeaderSize || off >= b.size()) {
    return Status::Corruption(where(off) + "offset outside the file of " +
                              std::to_string(b.size()) + " bytes");
  }
  size_t need = 0;
  auto c = DecodeChunk(b.substr(off), where(off), &need);
  if (c.status().code() == StatusCode::kOutOfRange) {
    return Status::Corruption(where(off) + c.status().message());
  }
  return c;
}

Result<ChunkData> DecodeChunk(std::string_view b, const std::string& where, size_t* need) {
  *need = 0;
  uint64_t len = 0;
  int n = DecodeUvarint(b.data(), b.size(), &len);
  if (n < 0) return Status::Corruption(where + "invalid chunk length");
  if (n == 0) return Status(StatusCode::kOutOfRange, "truncated chunk length");
  if (len > (uint64_t{1} << 32)) {
    return Status::Corruption(where + "chunk length " + std::to_string(len) + " is implausible");
  }
  const size_t total = static_cast<size_t>(n) + 1 + len + 4;
  if (total > b.size()) {
    *need = total;
    return Status(StatusCode::kOutOfRange,
                  "chunk length " + std::to_string(len) + " runs past the end of the file");
  }
  const size_t start = static_cast<size_t>(n);
  ChunkData c;
  c.encoding = static_cast<uint8_t>(b[start]);
  c.data = b.substr(start + 1, len);
  uint32_t want = LoadBe32(b.data() + start + 1 + len);
  uint32_t got = Crc32c(b.substr(start, len + 1));
  if (want != got) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "checksum mismatch: stored %08x, computed %08x", want, got);
    return Status::Corruption(where + buf);
  }
  c.crc = got;
  return c;
}

uint64_t ChunkReader::total_size() const {
  uint64_t s = 0;
  for (const auto& f : segments_) s += f.size();
  return s;
}

}  // namespace strata::tsdb
