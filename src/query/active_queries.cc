#include "query/active_queries.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "base/log.h"

namespace strata::query {
namespace {

// Go's json.Marshal of a string: HTML characters as \u escapes too.
void AppendGoJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

}  // namespace

std::string ActiveQueries::Entry(std::string_view query, int64_t now_sec) {
  auto render = [&](std::string_view q) {
    std::string e = "{\"query\":";
    AppendGoJsonString(&e, q);
    return e + ",\"timestamp_sec\":" + std::to_string(now_sec) + "}";
  };
  // Prometheus's budget: the slot less an entry with an empty query and the comma.
  const size_t budget = kSlotSize - (render("").size() + 1);
  size_t n = std::min(query.size(), budget);
  while (n > 0 && n < query.size() && (static_cast<unsigned char>(query[n]) & 0xC0) == 0x80) n--;
  std::string e = render(query.substr(0, n));
  if (e.size() + 1 <= kSlotSize) return e;
  // Escapes make it longer than the raw cut: the longest cut on a character boundary that fits,
  // found by bisection (the escaped length grows with the cut).
  std::vector<size_t> cuts;
  for (size_t i = 0; i < n; i++)
    if ((static_cast<unsigned char>(query[i]) & 0xC0) != 0x80) cuts.push_back(i);
  size_t lo = 0, hi = cuts.size();  // cuts[lo] fits (the empty query does); cuts[hi] = n does not
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (render(query.substr(0, cuts[mid])).size() + 1 <= kSlotSize) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return render(query.substr(0, cuts.empty() ? 0 : cuts[lo]));
}

std::string ActiveQueries::Unfinished(std::string_view contents) {
  std::string s;
  for (char c : contents)
    if (c != '\0') s.push_back(c);
  if (s.empty()) return "";
  s.back() = ']';
  return s.size() > 1 ? s : "";
}

Result<std::unique_ptr<ActiveQueries>> ActiveQueries::Open(const std::string& dir, int slots) {
  if (slots <= 0) return Status::InvalidArgument("active query log: no query slots");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("--query.active-query-path " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / "queries.active").string();
  const size_t size = 1 + static_cast<size_t>(slots) * kSlotSize;
  if (auto old = ReadFile(path); old.ok()) {
    std::string left = Unfinished(std::string_view(*old).substr(0, size));
    if (!left.empty())
      log::Info("These queries didn't finish in prometheus' last run:", {{"queries", left}});
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError("truncate " + path + ": " + std::strerror(err));
  }
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int map_errno = errno;  // close may change it
  ::close(fd);
  if (map == MAP_FAILED) return Status::IOError("mmap " + path + ": " + std::strerror(map_errno));
  static_cast<char*>(map)[0] = '[';
  return std::unique_ptr<ActiveQueries>(new ActiveQueries(static_cast<char*>(map), size, slots));
}

ActiveQueries::ActiveQueries(char* map, size_t size, int slots) : map_(map), size_(size) {
  for (int i = slots - 1; i >= 0; i--) free_.push_back(i);
}

ActiveQueries::~ActiveQueries() { ::munmap(map_, size_); }

int ActiveQueries::Insert(std::string_view query, int64_t now_sec) {
  int slot;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (free_.empty()) return -1;
    slot = free_.back();
    free_.pop_back();
  }
  const std::string e = Entry(query, now_sec);
  char* at = map_ + 1 + static_cast<size_t>(slot) * kSlotSize;
  std::memcpy(at, e.data(), e.size());
  at[kSlotSize - 1] = ',';
  return slot;
}

void ActiveQueries::Remove(int slot) {
  if (slot < 0) return;
  std::memset(map_ + 1 + static_cast<size_t>(slot) * kSlotSize, 0, kSlotSize);
  std::lock_guard<std::mutex> l(mu_);
  free_.push_back(slot);
}

}  // namespace strata::query
