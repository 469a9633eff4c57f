#include "cmd/thanos_flags.h"

#include <algorithm>

namespace strata::cmd {

bool IsThanosCommand(std::string_view command) {
  for (const ThanosCommand& c : ThanosCommands()) {
    if (c.command == command) return true;
  }
  return false;
}

bool IsThanosFlag(std::string_view command, std::string_view flag) {
  for (const ThanosCommand& c : ThanosCommands()) {
    if (c.command != command) continue;
    for (size_t pos = 0; pos < c.flags.size();) {
      const size_t end = std::min(c.flags.find(' ', pos), c.flags.size());
      if (c.flags.substr(pos, end - pos) == flag) return true;
      pos = end + 1;
    }
  }
  return false;
}

}  // namespace strata::cmd
