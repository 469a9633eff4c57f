// --help-man (kingpin's, which Thanos's commands have): the command's help as a man page
// (groff -man), written by hand because CLI11 has no man page formatter.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <set>

#include "cmd/command.h"
#include "cmd/version.h"

namespace strata::cmd {
namespace {

// Text safe for groff: backslashes doubled, a leading dot or quote escaped, dashes literal.
std::string Roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string ManPage(const CLI::App& cmd, const std::string& path) {
  std::string upper;
  for (char c : path) upper += c == ' ' ? '-' : static_cast<char>(std::toupper(c));
  std::string out = ".TH " + upper + " 1 \"\" \"strata " + Roff(Version()) + "\" \"Strata\"\n";
  out += ".SH NAME\n" + Roff(path) + " \\- " + Roff(cmd.get_description()) + "\n";
  out += ".SH SYNOPSIS\n.B " + Roff(path) + "\n[\\fIflags\\fR]";
  if (!cmd.get_subcommands({}).empty()) out += " \\fIcommand\\fR";
  out += "\n";
  std::string flags;
  std::set<std::string> seen;  // the help flag is on every level
  for (const CLI::App* c = &cmd; c != nullptr; c = c->get_parent()) {
    for (const CLI::Option* o : c->get_options()) {
      if (o->get_lnames().empty() || !seen.insert(o->get_lnames()[0]).second) continue;
      flags += ".TP\n\\fB\\-\\-" + Roff(o->get_lnames()[0]) + "\\fR";
      if (!o->get_type_name().empty()) flags += "=\\fI" + Roff(o->get_type_name()) + "\\fR";
      flags += "\n" + Roff(o->get_description());
      if (!o->get_default_str().empty()) flags += " (default: " + Roff(o->get_default_str()) + ")";
      flags += "\n";
    }
  }
  if (!flags.empty()) out += ".SH FLAGS\n" + flags;
  std::string commands;
  for (const CLI::App* sub : cmd.get_subcommands({})) {
    commands +=
        ".TP\n\\fB" + Roff(sub->get_name()) + "\\fR\n" + Roff(sub->get_description()) + "\n";
  }
  if (!commands.empty()) out += ".SH COMMANDS\n" + commands;
  return out;
}

}  // namespace

void AddHelpManFlag(CLI::App& app) {
  app.add_flag_callback(
      "--help-man",
      [&app] {
        // The deepest command given on the command line.
        const CLI::App* cmd = &app;
        std::string path = app.get_name();
        for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) {
          cmd = subs[0];
          path += " " + cmd->get_name();
        }
        std::fputs(ManPage(*cmd, path).c_str(), stdout);
        throw CLI::Success();
      },
      "Generate a man page.");
}

}  // namespace strata::cmd
