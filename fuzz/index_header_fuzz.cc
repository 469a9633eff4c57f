// Builds an index-header from arbitrary bytes taken as an index (through the same ranged-read
// path the store gateway uses), and when that succeeds walks everything the header answers.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "tsdb/index_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("strata-fuzz-index-header-" + std::to_string(getpid())))
                                      .string();
  const std::string_view index(reinterpret_cast<const char*>(data), size);
  Status st = tsdb::WriteIndexHeader(
      [&](uint64_t off, uint64_t len) -> Result<std::string> {
        if (off >= index.size()) return std::string();
        return std::string(index.substr(off, len));
      },
      index.size(), path);
  if (!st.ok()) return 0;
  auto h = tsdb::IndexHeader::Open(path);
  if (!h.ok()) __builtin_trap();  // a header that validated when written must open
  int budget = 10000;
  for (auto name : (*h)->LabelNames()) {
    auto values = (*h)->LabelValues(name);
    if (!values.ok()) continue;
    for (auto v : *values) {
      if (--budget < 0) return 0;
      (void)(*h)->PostingsRange(name, v);
    }
    (void)(*h)->PostingsRange(name, "~");
  }
  (void)(*h)->PostingsRange("", "");
  for (uint32_t i = 0; i < 1000; i++) {
    if (!(*h)->Symbol(i).ok()) break;
  }
  return 0;
}
