// strata: one binary, subcommands in the style of `thanos` (sidecar, store, query, compact,
// tools). Each subcommand is wired in its own file; the logic lives in the libraries.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "base/log.h"
#include "base/shutdown.h"
#include "cmd/command.h"
#include "cmd/thanos_flags.h"
#include "cmd/version.h"

namespace strata::cmd {

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int Finish(const std::string& component, const Status& st) {
  if (st.ok()) return 0;
  if (shutdown::Signal() != 0) {  // what a signal interrupted is not a failure
    log::Info("stopped by a termination signal",
              {{"component", component}, {"err", st.ToString()}});
    return 0;
  }
  return Fail(component + ": " + st.ToString());
}

namespace {

// What the deepest command given did not recognise: "unknown flag --x for strata query" or
// "unknown command \"rule\" for strata (commands: ...)"; "" when everything was known.
std::string UnknownArgument(const CLI::App& app) {
  const CLI::App* cmd = &app;
  std::string path = app.get_name();
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : cmd->get_subcommands()) {
      cmd = sub;
      path += " " + sub->get_name();
      deeper = true;
      break;
    }
  }
  // Unknown arguments fall through to the parents (app.fallthrough()): gather them all.
  const std::vector<std::string> extra = app.remaining(true);
  if (extra.empty()) return "";
  const std::string& first = extra.front();
  // The Thanos spelling of the command: "strata tools bucket" is "thanos tools bucket".
  const size_t space = path.find(' ');
  const std::string command = space == std::string::npos ? "" : path.substr(space + 1);
  const std::string thanos = command.empty() ? "thanos" : "thanos " + command;
  if (first.starts_with("-")) {
    const std::string flag = first.substr(0, first.find('='));
    std::string msg = "unknown flag " + flag + " for " + path;
    if (IsThanosFlag(command, flag)) {
      msg += ": " + thanos + " v0.34 has it, Strata does not support it yet (docs/status.md)";
    }
    return msg;
  }
  const auto subs = cmd->get_subcommands([](const CLI::App*) { return true; });
  if (subs.empty()) return "unexpected argument \"" + first + "\" for " + path;
  std::string names;
  for (const CLI::App* sub : subs) names += (names.empty() ? "" : ", ") + sub->get_name();
  std::string msg = "unknown command \"" + first + "\" for " + path + " (commands: " + names + ")";
  if (IsThanosCommand(command.empty() ? first : command + " " + first)) {
    msg += ": " + thanos + " " + first + " is a Thanos v0.34 command Strata does not have yet";
  }
  return msg;
}

// glibc's defaults hand every allocation over 128 KiB to mmap and give a thread arena's free top
// back to the kernel at 128 KiB, so the per-query buffers of a querier or store (decoded samples,
// gRPC frames, JSON answers) are page-faulted in afresh on every query: 300 faults and a third
// of the querier's CPU per split 7-day query (bench/RESULTS.md). Keeping up to 64 MiB per arena
// and mapping only allocations over 32 MiB removes them. A user's MALLOC_* settings win.
void TuneMalloc() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

}  // namespace
}  // namespace strata::cmd

int main(int argc, char** argv) {
  using namespace strata::cmd;
  strata::shutdown::HandleTerminationSignals();  // first: every later thread inherits the mask
  TuneMalloc();
  CLI::App app{
      "A Prometheus long-term storage, global query and high-availability layer "
      "compatible with Thanos.",
      "strata"};
  app.set_version_flag("--version", VersionString());
  // kingpin's --help-long (help with every subcommand's flags) is CLI11's --help here; set before
  // the subcommands are added, which copy it.
  app.set_help_flag("-h,--help,--help-long", "Show context-sensitive help.");
  app.require_subcommand(1);
  app.fallthrough();
  AddHelpManFlag(app);
  GlobalFlags globals;
  app.add_option("--log.level", globals.log_level, "Log filtering level.")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->each([](const std::string& v) { (void)strata::log::Configure(v, ""); })
      ->capture_default_str();
  app.add_option("--log.format", globals.log_format, "Log format to use.")
      ->check(CLI::IsMember({"logfmt", "json"}))
      ->each([](const std::string& v) { (void)strata::log::Configure("", v); })
      ->capture_default_str();

  // Spelled as in Thanos so existing manifests start; strata exports no traces yet.
  for (const char* name : {"--tracing.config", "--tracing.config-file"}) {
    app.add_option_function<std::string>(
        name,
        [name](const std::string& v) {
          if (!v.empty())
            strata::log::Warn("tracing is not supported by strata; no spans are exported",
                              {{"flag", name}});
        },
        "Tracing configuration (accepted; strata exports no traces yet).");
  }

  int exit_code = 0;
  RegisterToolsCommand(app, &exit_code);
  RegisterQueryCommand(app, &exit_code);
  RegisterStoreCommand(app, &exit_code);
  RegisterSidecarCommand(app, &exit_code);
  RegisterQueryFrontendCommand(app, &exit_code);
  RegisterCompactCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 answers --help before it reports unknown arguments, and reports an unknown command
    // as a missing one: name what is unknown first.
    if (std::string unknown = UnknownArgument(app); !unknown.empty()) {
      std::fprintf(stderr, "error: %s\nRun with --help for more information.\n", unknown.c_str());
      return static_cast<int>(CLI::ExitCodes::ExtrasError);
    }
    return app.exit(e);
  }
  return exit_code;
}
