// RAII file helpers: read-only memory maps for block files, whole-file reads, and atomic writes
// (temp file + fsync + rename) so a crash never leaves a half-written file under its final name.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace strata {

// A read-only mmap of a whole file. Move-only; unmaps on destruction.
class MappedFile {
 public:
  MappedFile() = default;
  static Result<MappedFile> Open(const std::string& path);
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }
  // Gives the whole pages below `end` back (madvise DONTNEED): a sequential reader's resident
  // set stays small. A page touched again is read back from the page cache, so this is safe
  // but slow if the caller was wrong about being done with it.
  void DropPagesBefore(size_t end) const;
  const std::string& path() const { return path_; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// A buffered, append-only file for writing large files sequentially. Close() flushes and fsyncs;
// the destructor closes without syncing (an abandoned write). Not thread-safe.
class BufferedFile {
 public:
  BufferedFile() = default;
  static Result<BufferedFile> Create(const std::string& path);
  BufferedFile(BufferedFile&& o) noexcept { *this = std::move(o); }
  BufferedFile& operator=(BufferedFile&& o) noexcept;
  BufferedFile(const BufferedFile&) = delete;
  BufferedFile& operator=(const BufferedFile&) = delete;
  ~BufferedFile();

  Status Write(std::string_view data);
  // Writes zero bytes until the position is a multiple of alignment.
  Status Pad(size_t alignment);
  Status Close();
  uint64_t pos() const { return pos_; }
  const std::string& path() const { return path_; }

 private:
  Status Flush();

  int fd_ = -1;
  uint64_t pos_ = 0;
  std::string buf_;
  std::string path_;
};

Result<std::string> ReadFile(const std::string& path);
// Reads up to length bytes at offset (to the end when length < 0); fewer at the end of the file.
// Uses pread, not a mapping: unmapping costs every core of the process a TLB flush.
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, int64_t length);
// Writes path.tmp, fsyncs it, renames it over path and fsyncs the directory.
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Creates the file (truncating), writes and fsyncs; for files inside a not-yet-visible dir.
Status WriteFileSynced(const std::string& path, std::string_view data);
Status SyncDir(const std::string& dir);
// A new directory only this user can use, under the system's temporary directory, named
// <prefix>XXXXXX (mkdtemp: never an existing one, so nobody can plant a link there first).
Result<std::string> MakeTempDir(const std::string& prefix);
// "path: strerror(errno)" as an IOError (NotFound for ENOENT).
Status ErrnoStatus(std::string_view what, const std::string& path);

}  // namespace strata
