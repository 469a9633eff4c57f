// Parser for the OpenMetrics text format (what `promtool tsdb create-blocks-from openmetrics`
// reads). Hand-written because no Debian-packaged C++ library parses the exposition format;
// it is a small line-oriented grammar. Metadata lines (# HELP/TYPE/UNIT) are validated and
// skipped, exemplars are skipped, the input must end with "# EOF". Errors give line:column.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/labels.h"
#include "base/status.h"

namespace strata::textparse {

struct OpenMetricsSample {
  Labels labels;  // includes __name__
  double value = 0;
  std::optional<int64_t> timestamp_ms;  // seconds in the text, converted as int64(ts*1000)
};

class OpenMetricsParser {
 public:
  explicit OpenMetricsParser(std::string_view input) : in_(input) {}

  // The next sample. False at "# EOF" or on an error (then status() is not OK).
  bool Next(OpenMetricsSample* out);
  const Status& status() const { return status_; }
  int line() const { return line_; }

 private:
  bool Fail(size_t col, std::string_view what);
  bool ParseComment(std::string_view line);
  bool ParseSample(std::string_view line, OpenMetricsSample* out);

  std::string_view in_;
  size_t pos_ = 0;
  int line_ = 0;
  bool done_ = false;
  Status status_;
};

// Go's strconv.ParseFloat for the exposition formats: decimal and exponent forms,
// NaN, Inf, +Inf, -Inf (any case). Returns nullopt when s is not a whole number.
std::optional<double> ParseGoFloat(std::string_view s);

}  // namespace strata::textparse
