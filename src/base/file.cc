#include "base/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace strata {
namespace {

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

Status ErrnoStatus(std::string_view what, const std::string& path) {
  int e = errno;
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(e);
  return e == ENOENT ? Status::NotFound(std::move(msg)) : Status::IOError(std::move(msg));
}

Result<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat", path);
  if (!S_ISREG(st.st_mode)) return Status::IOError("open " + path + ": not a regular file");
  MappedFile f;
  f.path_ = path;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return ErrnoStatus("mmap", path);
    f.addr_ = p;
  }
  return f;
}

void MappedFile::DropPagesBefore(size_t end) const {
  static const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  end = std::min(end, size_) / page * page;
  if (addr_ != nullptr && end > 0) ::madvise(addr_, end, MADV_DONTNEED);
}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = o.addr_;
    size_ = o.size_;
    path_ = std::move(o.path_);
    o.addr_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

Result<BufferedFile> BufferedFile::Create(const std::string& path) {
  BufferedFile f;
  f.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f.fd_ < 0) return ErrnoStatus("create", path);
  f.path_ = path;
  return f;
}

BufferedFile& BufferedFile::operator=(BufferedFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    pos_ = o.pos_;
    buf_ = std::move(o.buf_);
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

BufferedFile::~BufferedFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status BufferedFile::Flush() {
  STRATA_RETURN_IF_ERROR(WriteAll(fd_, buf_, path_));
  buf_.clear();
  return Status::OK();
}

Status BufferedFile::Write(std::string_view data) {
  if (fd_ < 0) return Status::Internal("write to closed file " + path_);
  buf_.append(data);
  pos_ += data.size();
  if (buf_.size() >= (1 << 20)) return Flush();
  return Status::OK();
}

Status BufferedFile::Pad(size_t alignment) {
  size_t rem = pos_ % alignment;
  if (rem == 0) return Status::OK();
  return Write(std::string(alignment - rem, '\0'));
}

Status BufferedFile::Close() {
  if (fd_ < 0) return Status::OK();
  Status st = Flush();
  if (st.ok() && ::fsync(fd_) != 0) st = ErrnoStatus("fsync", path_);
  if (::close(fd_) != 0 && st.ok()) st = ErrnoStatus("close", path_);
  fd_ = -1;
  return st;
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  FdCloser closer(fd);
  std::string out;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, int64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat", path);
  auto size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return std::string();
  uint64_t want = size - offset;
  if (length >= 0) want = std::min(want, static_cast<uint64_t>(length));
  std::string out(want, '\0');
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, out.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path);
    }
    if (n == 0) break;  // the file shrank under us: return what is there
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Status WriteFileSynced(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", path);
  FdCloser closer(fd);
  STRATA_RETURN_IF_ERROR(WriteAll(fd, data, path));
  if (::fsync(fd) != 0) return ErrnoStatus("fsync", path);
  return Status::OK();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", dir);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoStatus("fsync", dir);
  return Status::OK();
}

Result<std::string> MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("mkdtemp", tmpl);
  return tmpl;
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  STRATA_RETURN_IF_ERROR(WriteFileSynced(tmp, data));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", tmp);
  size_t slash = path.rfind('/');
  return SyncDir(slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash));
}

}  // namespace strata
