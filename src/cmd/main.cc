// strata: one binary, subcommands in the style of `thanos` (sidecar, store, query, compact,
// tools). Each subcommand is wired in its own file; the logic lives in the libraries.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/log.h"
#include "base/shutdown.h"
#include "cmd/command.h"
#include "cmd/version.h"

namespace strata::cmd {

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int Finish(const std::string& component, const Status& st) {
  if (st.ok()) return 0;
  if (shutdown::Requested()) {  // what a signal interrupted is not a failure
    log::Info("stopped by a termination signal",
              {{"component", component}, {"err", st.ToString()}});
    return 0;
  }
  return Fail(component + ": " + st.ToString());
}

}  // namespace strata::cmd

int main(int argc, char** argv) {
  using namespace strata::cmd;
  strata::shutdown::HandleTerminationSignals();  // first: every later thread inherits the mask
  CLI::App app{
      "A Prometheus long-term storage, global query and high-availability layer "
      "compatible with Thanos.",
      "strata"};
  app.set_version_flag("--version", VersionString());
  app.require_subcommand(1);
  app.fallthrough();
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
  RegisterCompactCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
