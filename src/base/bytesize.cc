#include "base/bytesize.h"

#include <charconv>
#include <cmath>
#include <string>

namespace strata {

Result<uint64_t> ParseByteSize(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("\"" + std::string(s) +
                                   "\" is not a valid byte size (e.g. 512KB, 250MB, 1GiB)");
  };
  double num = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), num);
  if (ec != std::errc() || end == s.data() || num < 0 || !std::isfinite(num)) return bad();
  const std::string_view unit(end, static_cast<size_t>(s.data() + s.size() - end));
  double mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KB" || unit == "KiB") {
    mult = 1024.0;
  } else if (unit == "MB" || unit == "MiB") {
    mult = 1024.0 * 1024;
  } else if (unit == "GB" || unit == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (unit == "TB" || unit == "TiB") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return bad();
  }
  const double v = num * mult;
  if (v >= 1.8e19) return bad();
  return static_cast<uint64_t>(v);
}

}  // namespace strata
