#include "base/timestamp.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "base/duration.h"

namespace strata {
namespace {

bool ParseFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string t(s);
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && !std::isspace(static_cast<unsigned char>(t[0]));
}

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  *out = 0;
  for (size_t i = pos; i < pos + n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    *out = *out * 10 + (s[i] - '0');
  }
  return true;
}

// RFC 3339 with optional fractional seconds (Go's time.RFC3339Nano layout).
// Seconds since the epoch and nanoseconds within the second.
bool ParseRfc3339(std::string_view s, int64_t* secs_out, int64_t* nanos_out) {
  int64_t y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, &y) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return false;
  size_t i = 19;
  int64_t frac_ns = 0;
  if (i < s.size() && s[i] == '.') {
    i++;
    size_t start = i;
    int64_t scale = 100'000'000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ns += (s[i] - '0') * scale;
      scale /= 10;
      i++;
    }
    if (i == start) return false;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int64_t oh, om;
    if (!Digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &om))
      return false;
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  *secs_out = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *nanos_out = frac_ns;
  return true;
}

bool ParseRfc3339(std::string_view s, int64_t* ms) {
  int64_t secs, nanos;
  if (!ParseRfc3339(s, &secs, &nanos)) return false;
  *ms = secs * 1000 + nanos / 1'000'000;
  return true;
}

}  // namespace

Result<int64_t> ParseRfc3339Nanos(std::string_view s) {
  int64_t secs, nanos;
  if (!ParseRfc3339(s, &secs, &nanos))
    return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" as an RFC 3339 time");
  // Go's zero time (year 1) and far futures do not fit in int64 nanoseconds: clamp them.
  constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / 1'000'000'000 - 1;
  if (secs > kMaxSecs) return kMaxTime;
  if (secs < -kMaxSecs) return kMinTime;
  return secs * 1'000'000'000 + nanos;
}

std::string FormatRfc3339Ms(int64_t ms) {
  const int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms - secs * 1000));
  return buf;
}

Result<int64_t> ParseApiTime(std::string_view s) {
  double f;
  if (ParseFloat(s, &f)) {
    if (!(std::fabs(f) < 9.2e15))
      return Status::InvalidArgument("cannot parse \"" + std::string(s) +
                                     "\" to a valid timestamp");
    const double whole = std::trunc(f);
    return static_cast<int64_t>(whole) * 1000 +
           static_cast<int64_t>(std::round((f - whole) * 1000));
  }
  int64_t ms;
  if (ParseRfc3339(s, &ms)) return ms;
  return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
}

Result<int64_t> ParseApiDuration(std::string_view s) {
  double f;
  if (ParseFloat(s, &f)) {
    if (!(std::fabs(f * 1000) < 9.2e18)) {
      return Status::InvalidArgument("cannot parse \"" + std::string(s) +
                                     "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(std::round(f * 1000));
  }
  auto d = ParseDuration(s);
  if (d.ok()) return *d;
  return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid duration");
}

Result<RangeParams> ParseRangeParams(const std::optional<std::string>& start,
                                     const std::optional<std::string>& end,
                                     const std::optional<std::string>& step) {
  const std::pair<const char*, const std::optional<std::string>*> params[] = {
      {"start", &start}, {"end", &end}, {"step", &step}};
  for (const auto& [name, value] : params) {
    if (!value->has_value())
      return Status::InvalidArgument(std::string("invalid parameter \"") + name + "\": missing");
  }
  RangeParams r;
  for (const auto& [name, value] : params) {
    const bool is_step = value == &step;
    auto v = is_step ? ParseApiDuration(**value) : ParseApiTime(**value);
    if (!v.ok()) {
      return Status::InvalidArgument(std::string("invalid parameter \"") + name +
                                     "\": " + v.status().message());
    }
    (value == &start ? r.start_ms : value == &end ? r.end_ms : r.step_ms) = *v;
  }
  if (r.end_ms < r.start_ms)
    return Status::InvalidArgument("end timestamp must not be before start time");
  if (r.step_ms <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((r.end_ms - r.start_ms) / r.step_ms > 11000) {
    return Status::InvalidArgument(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  return r;
}

}  // namespace strata
