// Decodes arbitrary bytes as an XOR chunk; whatever decodes must re-encode to the same samples.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tsdb/xor_chunk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using strata::tsdb::XorIterator;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<int64_t> ts;
  std::vector<double> vs;
  XorIterator it(in);
  while (it.Next()) {
    ts.push_back(it.t());
    vs.push_back(it.v());
  }
  if (it.failed() || ts.empty()) return 0;
  std::string again = strata::tsdb::EncodeXorChunk(ts.data(), vs.data(), ts.size());
  XorIterator it2(again);
  for (size_t i = 0; i < ts.size(); i++) {
    if (!it2.Next() || it2.t() != ts[i] ||
        std::bit_cast<uint64_t>(it2.v()) != std::bit_cast<uint64_t>(vs[i])) {
      std::abort();
    }
  }
  if (it2.Next()) std::abort();
  return 0;
}
