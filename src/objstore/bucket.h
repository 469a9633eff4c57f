// Object storage as Thanos uses it: a flat namespace of objects addressed by '/'-separated
// names, listed by prefix. Implementations: FILESYSTEM and S3, plus wrappers for a key prefix
// and for Thanos's objstore metrics. All implementations are safe for concurrent use.
// A missing object is reported as StatusCode::kNotFound, distinguishable from other errors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata::objstore {

struct ObjectAttributes {
  int64_t size = 0;
  int64_t last_modified_ms = 0;
};

// Called once per listed name; a non-OK return stops the iteration and is returned by Iter.
using IterFn = std::function<Status(const std::string& name)>;

class Bucket {
 public:
  virtual ~Bucket() = default;

  // Lists the entries directly under dir ("" for the root): objects by full name, and
  // "directories" (common prefixes) by full name with a trailing '/'. With recursive, every
  // object below dir and no directories. Names come in lexicographic order.
  virtual Status Iter(std::string_view dir, const IterFn& fn, bool recursive) = 0;
  virtual Result<std::string> Get(std::string_view name) = 0;
  // length < 0 reads to the end. Reading past the end returns the bytes that exist.
  virtual Result<std::string> GetRange(std::string_view name, int64_t offset, int64_t length) = 0;
  virtual Result<bool> Exists(std::string_view name) = 0;
  virtual Result<ObjectAttributes> Attributes(std::string_view name) = 0;
  virtual Status Upload(std::string_view name, std::string_view data) = 0;
  // Streams a local file into the object (multipart for large files where the store has it).
  // The file must not be changed in place afterwards (TSDB block files never are: they are
  // replaced by a rename): the FILESYSTEM bucket may hard-link the object to it.
  virtual Status UploadFile(std::string_view name, const std::string& path) = 0;
  // Streams the object into a local file (written to path.tmp and renamed when complete). The
  // file is a read-only working copy: the FILESYSTEM bucket may hard-link it to the object.
  virtual Status Download(std::string_view name, const std::string& path) = 0;
  virtual Status Delete(std::string_view name) = 0;
  // The bucket's name for metrics and messages.
  virtual std::string Name() const = 0;
};

// Rejects names that are empty, absolute, contain "..", "." or empty path segments, or NUL,
// so no object name can escape a filesystem bucket's directory.
Status ValidateObjectName(std::string_view name);

}  // namespace strata::objstore
