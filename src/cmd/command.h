// Wiring shared by the subcommand files: each Register* function adds one subcommand (and its
// flags) to the CLI and sets *exit_code when it runs. Flag spellings follow Thanos v0.34.
#pragma once

#include <memory>
#include <string>

#include "base/metrics.h"
#include "base/status.h"
#include "objstore/bucket.h"

namespace CLI {
class App;
}

namespace strata::cmd {

struct GlobalFlags {
  std::string log_level = "info";
  std::string log_format = "logfmt";
};

void RegisterToolsCommand(CLI::App& app, int* exit_code);
// `query`: the querier.
void RegisterQueryCommand(CLI::App& app, int* exit_code);
// `tools bucket …`, added under the tools subcommand.
void RegisterBucketTools(CLI::App& tools, int* exit_code);
// `tools promql …` (test scripts, offline queries over blocks).
void RegisterPromqlTools(CLI::App& tools, int* exit_code);
// Components whose implementation has not landed yet: they exist so `strata --help` shows
// the intended shape, and fail with a clear message when run.
void RegisterPendingCommands(CLI::App& app, int* exit_code);

// `store`: the store gateway.
void RegisterStoreCommand(CLI::App& app, int* exit_code);

// --objstore.config-file / --objstore.config, shared by the commands that use a bucket.
struct ObjstoreFlags {
  std::string file;
  std::string content;
};
void AddObjstoreFlags(CLI::App& cmd, ObjstoreFlags& f);
Result<std::unique_ptr<objstore::Bucket>> OpenBucket(const ObjstoreFlags& f, Registry* metrics);

// Blocks until SIGINT or SIGTERM; call BlockTerminationSignals first, before starting threads.
void BlockTerminationSignals();
int WaitForTerminationSignal();

// Prints "error: <message>" to stderr and returns the exit code for failures.
int Fail(const std::string& message);

}  // namespace strata::cmd
