// Parses arbitrary OpenMetrics text and series selectors.
#include <cstdint>
#include <string_view>

#include "textparse/openmetrics_parser.h"
#include "textparse/selector_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::textparse;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  OpenMetricsParser p(in);
  OpenMetricsSample s;
  while (p.Next(&s)) {
  }
  (void)ParseSeriesSelector(in);
  return 0;
}
