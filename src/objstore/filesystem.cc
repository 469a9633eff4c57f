#include "objstore/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <system_error>

#include "base/file.h"

namespace strata::objstore {
namespace fs = std::filesystem;

Status ValidateObjectName(std::string_view name) {
  auto bad = [&](const char* why) {
    std::string shown(name.substr(0, 200));
    for (char& c : shown) {
      if (c == '\0') c = '?';
    }
    return Status::InvalidArgument("invalid object name \"" + shown + "\": " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (name[0] == '/') return bad("absolute");
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view seg =
        name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    if (seg == "..") return bad("contains ..");
    if (seg == ".") return bad("contains .");
    if (seg.empty() && slash != std::string_view::npos) return bad("contains an empty segment");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (name.back() == '/') return bad("ends with /");
  return Status::OK();
}

namespace {

// Objects are never changed in place (they are written to a temporary name, then renamed), a
// downloaded file is the caller's read-only working copy, and an uploaded file is never changed
// in place either (Bucket::UploadFile), so on the same filesystem a hard link stands in for a
// copy both ways: the compactor reads every block it compacts and uploads every block it
// writes, and copying the uploads was a fifth of a compaction pass.
void LinkOrCopy(const std::string& from, const std::string& to, std::error_code& ec) {
  ::unlink(to.c_str());
  if (::link(from.c_str(), to.c_str()) == 0) {
    ec.clear();
    return;
  }
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
}

class FilesystemBucket : public Bucket {
 public:
  explicit FilesystemBucket(std::string dir) : dir_(std::move(dir)) {}

  std::string Name() const override { return dir_; }

  Status Iter(std::string_view dir, const IterFn& fn, bool recursive) override {
    std::string d(dir);
    while (!d.empty() && d.back() == '/') d.pop_back();
    if (!d.empty()) STRATA_RETURN_IF_ERROR(ValidateObjectName(d));
    fs::path root = d.empty() ? fs::path(dir_) : fs::path(dir_) / d;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return Status::OK();  // nothing under that prefix
    std::set<std::string> names;
    // Entries are root/..., so their names are found lexically; fs::relative would resolve
    // every path component with a readlink call (thousands per listing of a big bucket).
    if (recursive) {
      for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (it->is_regular_file(ec) && !IsTemp(it->path())) {
          names.insert(it->path().lexically_relative(dir_).generic_string());
        }
      }
    } else {
      for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::end(it); it.increment(ec)) {
        std::string rel = it->path().lexically_relative(dir_).generic_string();
        if (it->is_directory(ec)) {
          if (!fs::is_empty(it->path(), ec)) names.insert(rel + "/");
        } else if (!IsTemp(it->path())) {
          names.insert(rel);
        }
      }
    }
    if (ec) return Status::IOError("list " + root.string() + ": " + ec.message());
    for (const auto& n : names) STRATA_RETURN_IF_ERROR(fn(n));
    return Status::OK();
  }

  Result<std::string> Get(std::string_view name) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    return ReadFile(p);
  }

  Result<std::string> GetRange(std::string_view name, int64_t offset, int64_t length) override {
    if (offset < 0) return Status::InvalidArgument("negative offset");
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    return ReadFileRange(p, static_cast<uint64_t>(offset), length);
  }

  Result<bool> Exists(std::string_view name) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) return S_ISREG(st.st_mode);
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus("stat", p);
  }

  Result<ObjectAttributes> Attributes(std::string_view name) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return ErrnoStatus("stat", p);
    if (!S_ISREG(st.st_mode)) return Status::NotFound("object " + std::string(name) + " not found");
    return ObjectAttributes{
        static_cast<int64_t>(st.st_size),
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000};
  }

  Status Upload(std::string_view name, std::string_view data) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    STRATA_RETURN_IF_ERROR(MakeParent(p));
    std::string tmp = TempName(p);
    Status st = WriteFileSynced(tmp, data);
    if (st.ok() && ::rename(tmp.c_str(), p.c_str()) != 0) st = ErrnoStatus("rename", tmp);
    if (!st.ok()) ::unlink(tmp.c_str());
    return st;
  }

  Status UploadFile(std::string_view name, const std::string& path) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    STRATA_RETURN_IF_ERROR(MakeParent(p));
    std::string tmp = TempName(p);
    std::error_code ec;
    LinkOrCopy(path, tmp, ec);
    Status st =
        ec ? Status::IOError("copy " + path + " to " + tmp + ": " + ec.message()) : Status::OK();
    if (st.ok()) st = SyncFile(tmp);
    if (st.ok() && ::rename(tmp.c_str(), p.c_str()) != 0) st = ErrnoStatus("rename", tmp);
    if (!st.ok()) ::unlink(tmp.c_str());
    return st;
  }

  Status Download(std::string_view name, const std::string& path) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    std::error_code ec;
    std::string tmp = path + ".tmp";
    LinkOrCopy(p, tmp, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) {
        return Status::NotFound("object " + std::string(name) + " not found");
      }
      return Status::IOError("copy " + p + " to " + path + ": " + ec.message());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", tmp);
    return Status::OK();
  }

  Status Delete(std::string_view name) override {
    STRATA_ASSIGN_OR_RETURN(std::string p, PathOf(name));
    if (::unlink(p.c_str()) != 0) {
      if (errno == ENOENT) return Status::NotFound("object " + std::string(name) + " not found");
      return ErrnoStatus("delete", p);
    }
    // Remove directories left empty, up to the bucket root (as object stores have no dirs).
    std::error_code ec;
    for (fs::path d = fs::path(p).parent_path(); d != fs::path(dir_) && fs::is_empty(d, ec);
         d = d.parent_path()) {
      if (!fs::remove(d, ec)) break;
    }
    return Status::OK();
  }

 private:
  static bool IsTemp(const fs::path& p) {
    return p.filename().string().find(".strata-tmp-") != std::string::npos;
  }

  std::string TempName(const std::string& p) {
    return p + ".strata-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
  }

  Result<std::string> PathOf(std::string_view name) const {
    STRATA_RETURN_IF_ERROR(ValidateObjectName(name));
    return dir_ + "/" + std::string(name);
  }

  static Status MakeParent(const std::string& p) {
    std::error_code ec;
    fs::create_directories(fs::path(p).parent_path(), ec);
    if (ec) return Status::IOError("create directories for " + p + ": " + ec.message());
    return Status::OK();
  }

  static Status SyncFile(const std::string& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", p);
    int rc = ::fsync(fd);
    ::close(fd);
    return rc == 0 ? Status::OK() : ErrnoStatus("fsync", p);
  }

  std::string dir_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

Result<std::unique_ptr<Bucket>> NewFilesystemBucket(const std::string& directory) {
  if (directory.empty()) return Status::InvalidArgument("FILESYSTEM bucket: directory is empty");
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return Status::IOError("create bucket directory " + directory + ": " + ec.message());
  std::string d = directory;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return std::unique_ptr<Bucket>(new FilesystemBucket(d));
}

}  // namespace strata::objstore
