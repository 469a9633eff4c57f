// Helpers shared by the subcommand files: object storage flags and signal handling.
#include <CLI/CLI.hpp>

#include <csignal>

#include "cmd/command.h"
#include "objstore/config.h"

namespace strata::cmd {

void AddObjstoreFlags(CLI::App& cmd, ObjstoreFlags& f) {
  cmd.add_option("--objstore.config-file", f.file,
                 "Path to YAML file that contains object store configuration.");
  cmd.add_option("--objstore.config", f.content,
                 "Alternative to 'objstore.config-file' flag: object store configuration in YAML.");
}

Result<std::unique_ptr<objstore::Bucket>> OpenBucket(const ObjstoreFlags& f, Registry* metrics) {
  STRATA_ASSIGN_OR_RETURN(std::string yaml, objstore::ReadObjstoreConfigFlags(f.file, f.content));
  return objstore::NewBucketFromConfig(yaml, metrics);
}

namespace {
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // threads started later inherit the mask
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace strata::cmd
