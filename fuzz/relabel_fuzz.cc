// Parses arbitrary bytes as relabel configs (YAML) and applies what parses to a label set.
#include <cstdint>
#include <string_view>

#include "relabel/relabel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  auto cfg = relabel::ParseConfigs(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cfg.ok()) return 0;
  (void)relabel::Process(
      Labels{{"__block_id", "01HGZ0000000000000000000AA"}, {"cluster", "eu-1"}, {"replica", "0"}},
      *cfg);
  return 0;
}
