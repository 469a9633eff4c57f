// Wiring shared by the subcommand files: each Register* function adds one subcommand (and its
// flags) to the CLI and sets *exit_code when it runs. Flag spellings follow Thanos v0.34.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace strata::cmd {

struct GlobalFlags {
  std::string log_level = "info";
  std::string log_format = "logfmt";
};

void RegisterToolsCommand(CLI::App& app, int* exit_code);
// `tools bucket …`, added under the tools subcommand.
void RegisterBucketTools(CLI::App& tools, int* exit_code);
// `tools promql …` (test scripts, offline queries over blocks).
void RegisterPromqlTools(CLI::App& tools, int* exit_code);
// Components whose implementation has not landed yet: they exist so `strata --help` shows
// the intended shape, and fail with a clear message when run.
void RegisterPendingCommands(CLI::App& app, int* exit_code);

// Prints "error: <message>" to stderr and returns the exit code for failures.
int Fail(const std::string& message);

}  // namespace strata::cmd
