// Parses arbitrary meta.json; what parses must serialize and parse again to the same values.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tsdb/meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::tsdb;
  auto m = ParseBlockMeta(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!m.ok()) return 0;
  auto again = ParseBlockMeta(SerializeBlockMeta(*m), "fuzz-again");
  if (!again.ok() || again->ulid != m->ulid || again->min_time != m->min_time ||
      again->max_time != m->max_time || again->thanos.has_value() != m->thanos.has_value()) {
    std::abort();
  }
  return 0;
}
