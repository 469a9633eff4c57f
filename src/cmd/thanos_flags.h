// The commands and flags of Thanos v0.34 (src/cmd/thanos_flags/*.txt), so that the command line
// can tell a Thanos flag or command Strata does not support yet from a typo.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace strata::cmd {

struct ThanosCommand {
  std::string_view command;  // "query", "tools bucket web", ...
  std::string_view flags;    // " --a --b ... ": each flag between spaces
};

std::span<const ThanosCommand> ThanosCommands();

// Whether `command` ("query", "tools bucket verify") is a Thanos v0.34 command.
bool IsThanosCommand(std::string_view command);
// Whether `flag` ("--query.promql-engine", without a value) is a flag of that Thanos command.
bool IsThanosFlag(std::string_view command, std::string_view flag);

}  // namespace strata::cmd
