// Decodes arbitrary bytes as an XOR chunk; whatever decodes must re-encode to the same samples,
// and XorDecodeAll must agree with the iterator: the same samples, or the same error.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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
  {
    const size_t n = strata::tsdb::XorNumSamples(in);
    std::vector<int64_t> all_t(n);
    std::vector<double> all_v(n);
    strata::Status st = strata::tsdb::XorDecodeAll(&in, 1, all_t.data(), all_v.data());
    if (st.ToString() != it.status().ToString()) std::abort();
    if (st.ok() &&
        (all_t != ts || (n > 0 && std::memcmp(all_v.data(), vs.data(), n * sizeof(double)) != 0)))
      std::abort();
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
