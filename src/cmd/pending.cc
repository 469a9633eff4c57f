#include <CLI/CLI.hpp>

#include "cmd/command.h"

namespace strata::cmd {

void RegisterPendingCommands(CLI::App& app, int* exit_code) {
  struct Pending {
    const char* name;
    const char* help;
  };
  static constexpr Pending kPending[] = {
      {"compact", "Compactor: compaction, downsampling and retention in object storage."},
  };
  for (const auto& p : kPending) {
    CLI::App* sub = app.add_subcommand(p.name, std::string(p.help) + " (not implemented yet)");
    sub->allow_extras();
    std::string name = p.name;
    sub->callback([exit_code, name] {
      *exit_code =
          Fail("strata " + name + " is not implemented in this version yet; see docs/status.md");
    });
  }
}

}  // namespace strata::cmd
