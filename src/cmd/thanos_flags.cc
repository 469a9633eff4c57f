#include "cmd/thanos_flags.h"

#include <string>

namespace strata::cmd {

bool IsThanosCommand(std::string_view command) {
  for (const ThanosCommand& c : ThanosCommands()) {
    if (c.command == command) return true;
  }
  return false;
}

bool IsThanosFlag(std::string_view command, std::string_view flag) {
  const std::string needle = " " + std::string(flag) + " ";
  for (const ThanosCommand& c : ThanosCommands()) {
    if (c.command == command) return c.flags.find(needle) != std::string_view::npos;
  }
  return false;
}

}  // namespace strata::cmd
