#include "cmd/compact_flags.h"

#include <CLI/CLI.hpp>

#include "base/duration.h"

namespace strata::cmd {

void AddSweepFlags(CLI::App& cmd, SweepFlags& f, bool retention) {
  cmd.add_option("--delete-delay", f.delete_delay,
                 "Time before a block marked for deletion is deleted from bucket.")
      ->capture_default_str();
  cmd.add_option("--consistency-delay", f.consistency_delay,
                 "Minimum age of fresh (non-compacted) blocks before they are being processed. "
                 "Partial uploads older than 48h are removed.")
      ->capture_default_str();
  if (!retention) return;
  cmd.add_option("--retention.resolution-raw", f.retention_raw,
                 "How long to retain raw samples in bucket. Setting this to 0d will retain "
                 "samples of this resolution forever")
      ->capture_default_str();
  cmd.add_option("--retention.resolution-5m", f.retention_5m,
                 "How long to retain samples of resolution 1 (5 minutes) in bucket. Setting this "
                 "to 0d will retain samples of this resolution forever")
      ->capture_default_str();
  cmd.add_option("--retention.resolution-1h", f.retention_1h,
                 "How long to retain samples of resolution 2 (1 hour) in bucket. Setting this to "
                 "0d will retain samples of this resolution forever")
      ->capture_default_str();
}

Status ApplySweepFlags(const SweepFlags& f, compact::CompactorOptions& o) {
  STRATA_ASSIGN_OR_RETURN(o.delete_delay_ms, ParseDuration(f.delete_delay));
  STRATA_ASSIGN_OR_RETURN(o.consistency_delay_ms, ParseDuration(f.consistency_delay));
  STRATA_ASSIGN_OR_RETURN(o.retention_raw_ms, ParseDuration(f.retention_raw));
  STRATA_ASSIGN_OR_RETURN(o.retention_5m_ms, ParseDuration(f.retention_5m));
  STRATA_ASSIGN_OR_RETURN(o.retention_1h_ms, ParseDuration(f.retention_1h));
  return Status::OK();
}

}  // namespace strata::cmd
