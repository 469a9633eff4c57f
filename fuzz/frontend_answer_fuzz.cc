// The query-frontend's decoders of untrusted bytes: a querier's JSON answers (range and
// instant) and results cache entries (which another process may have written). Whatever they
// accept must format and encode again to what decodes to the same answer.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frontend/instant.h"
#include "frontend/matrix.h"
#include "frontend/util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::frontend;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto m = ParseMatrixResponse(in); m.ok()) {
    const std::string text = FormatMatrixResponse(*m);
    auto again = ParseMatrixResponse(text);
    if (!again.ok() || FormatMatrixResponse(*again) != text) std::abort();
    auto decoded = DecodeMatrix(EncodeMatrix(*m));  // the cache keeps no warnings
    Matrix plain = std::move(*m);
    plain.warnings.clear();
    if (!decoded.ok() || FormatMatrixResponse(*decoded) != FormatMatrixResponse(plain))
      std::abort();
  }
  (void)ParseInstantResponse(in);
  if (auto d = DecodeMatrix(in); d.ok()) (void)FormatMatrixResponse(*d);
  std::string scratch;
  (void)OpenEntry("key", in, true, &scratch);
  (void)OpenEntry("key", in, false, &scratch);
  return 0;
}
