// The flags `strata compact` and `strata tools bucket retention|cleanup` share, as Thanos spells
// them: when blocks marked for deletion go, how old a fresh block must be, and the retention of
// each resolution.
#pragma once

#include <string>

#include "base/status.h"
#include "compact/compactor.h"

namespace CLI {
class App;
}

namespace strata::cmd {

struct SweepFlags {
  std::string delete_delay = "48h";
  std::string consistency_delay = "30m";
  std::string retention_raw = "0d", retention_5m = "0d", retention_1h = "0d";
};
// retention: also --retention.resolution-raw|5m|1h.
void AddSweepFlags(CLI::App& cmd, SweepFlags& f, bool retention);
// Fills the compactor's delays and retentions from the flags.
Status ApplySweepFlags(const SweepFlags& f, compact::CompactorOptions& o);

}  // namespace strata::cmd
