#include "base/duration.h"

#include <array>
#include <limits>

namespace strata {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr int64_t kDay = 24 * 3600 * 1000LL;
// Longest names first so "ms" is tried before "m".
constexpr std::array<Unit, 7> kUnits = {{{"y", 365 * kDay},
                                         {"w", 7 * kDay},
                                         {"d", kDay},
                                         {"h", 3600 * 1000LL},
                                         {"ms", 1},
                                         {"m", 60 * 1000LL},
                                         {"s", 1000}}};
// Position in descending size, to enforce the order y > w > d > h > m > s > ms.
int Rank(std::string_view unit) {
  constexpr std::array<std::string_view, 7> order = {"y", "w", "d", "h", "m", "s", "ms"};
  for (size_t i = 0; i < order.size(); i++) {
    if (order[i] == unit) return static_cast<int>(i);
  }
  return -1;
}

Status Invalid(std::string_view s) {
  return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view s) {
  if (s == "0") return int64_t{0};
  if (s.empty()) return Invalid(s);
  int64_t total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - (s[i] - '0')) / 10) return Invalid(s);
      n = n * 10 + (s[i] - '0');
      i++;
    }
    if (i == start) return Invalid(s);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (s.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return Invalid(s);
    int rank = Rank(unit->name);
    if (rank <= last_rank) return Invalid(s);
    last_rank = rank;
    i += unit->name.size();
    if (n > (std::numeric_limits<int64_t>::max() - total) / unit->ms) {
      return Status::InvalidArgument("duration out of range: \"" + std::string(s) + "\"");
    }
    total += n * unit->ms;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  auto emit = [&](std::string_view unit, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (int64_t v = ms / mult; v > 0) {
      out += std::to_string(v);
      out += unit;
      ms -= v * mult;
    }
  };
  emit("y", 365 * kDay, true);
  emit("w", 7 * kDay, true);
  emit("d", kDay, false);
  emit("h", 3600 * 1000LL, false);
  emit("m", 60 * 1000LL, false);
  emit("s", 1000, false);
  emit("ms", 1, false);
  return out;
}

}  // namespace strata
