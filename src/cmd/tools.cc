// `strata tools …`: offline utilities. `tools tsdb` mirrors `promtool tsdb` subcommands.
#include <CLI/CLI.hpp>

#include <glob.h>

#include <cstdio>

#include "base/duration.h"
#include "base/file.h"
#include "base/log.h"
#include "cmd/command.h"
#include "promql/test_script.h"
#include "textparse/selector_parser.h"
#include "tools/openmetrics_import.h"
#include "tools/rules_check.h"
#include "tools/tsdb_dump.h"

namespace strata::cmd {
namespace {

void RegisterDump(CLI::App& tsdb, int* exit_code) {
  auto opts = std::make_shared<tools::DumpOptions>();
  auto match = std::make_shared<std::string>();
  CLI::App* dump = tsdb.add_subcommand("dump", "Dump samples from a TSDB data directory or block.");
  dump->add_option("db-path", opts->path, "Data directory or block directory.")
      ->capture_default_str();
  dump->add_option("--min-time", opts->min_time, "Minimum timestamp to dump (ms).");
  dump->add_option("--max-time", opts->max_time, "Maximum timestamp to dump (ms).");
  dump->add_option("--match", *match, "Series selector, e.g. up{job=\"api\"}.");
  dump->callback([opts, match, exit_code] {
    if (!match->empty()) {
      auto ms = textparse::ParseSeriesSelector(*match);
      if (!ms.ok()) {
        *exit_code = Fail("--match: " + ms.status().message());
        return;
      }
      opts->matchers = std::move(*ms);
    }
    static char buf[1 << 20];
    std::setvbuf(stdout, buf, _IOFBF, sizeof(buf));
    Status st = tools::DumpSamples(*opts, stdout);
    if (!st.ok()) *exit_code = Fail(st.ToString());
  });
}

void RegisterCreateBlocks(CLI::App& tsdb, int* exit_code) {
  auto opts = std::make_shared<tools::ImportOptions>();
  auto max_dur = std::make_shared<std::string>("2h");
  auto quiet = std::make_shared<bool>(false);
  CLI::App* create =
      tsdb.add_subcommand("create-blocks-from", "Import samples from input to blocks.");
  create->require_subcommand(1);
  CLI::App* om = create->add_subcommand("openmetrics", "Import samples from an OpenMetrics file.");
  om->add_option("input-file", opts->input_file, "OpenMetrics file to read.")->required();
  om->add_option("output-dir", opts->output_dir, "Where to write the blocks.")
      ->capture_default_str();
  create
      ->add_option("--max-block-duration", *max_dur,
                   "Maximum duration a block may span (rounded to 2h·3^k).")
      ->capture_default_str();
  create->add_flag("-q,--quiet", *quiet, "Do not print created blocks.");
  om->callback([opts, max_dur, quiet, exit_code] {
    auto d = ParseDuration(*max_dur);
    if (!d.ok()) {
      *exit_code = Fail("--max-block-duration: " + d.status().message());
      return;
    }
    opts->max_block_duration_ms = *d;
    auto metas = tools::CreateBlocksFromOpenMetrics(*opts);
    if (!metas.ok()) {
      *exit_code = Fail("create blocks: " + metas.status().ToString());
      return;
    }
    if (*quiet) return;
    std::printf("%-26s  %-13s  %-13s  %-11s  %s\n", "BLOCK ULID", "MIN TIME", "MAX TIME",
                "NUM SAMPLES", "NUM SERIES");
    for (const auto& m : *metas) {
      std::printf("%-26s  %-13lld  %-13lld  %-11llu  %llu\n", m.ulid.String().c_str(),
                  static_cast<long long>(m.min_time), static_cast<long long>(m.max_time),
                  static_cast<unsigned long long>(m.stats.num_samples),
                  static_cast<unsigned long long>(m.stats.num_series));
    }
  });
}

// Checks every file the --rules globs match; a pattern matching nothing is an error too.
Status CheckRules(const std::vector<std::string>& patterns) {
  int failed = 0;
  for (const auto& pattern : patterns) {
    log::Info("checking", {{"pattern", pattern}});
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> files(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    globfree(&g);
    if (files.empty()) {
      log::Error("rule check failed", {{"result", "FAILED"}, {"error", "matching file not found"}});
      failed++;
      continue;
    }
    for (const auto& file : files) {
      log::Info("checking", {{"filename", file}});
      auto content = ReadFile(file);
      tools::RuleFileCheck c;
      if (content.ok()) {
        c = tools::CheckRuleFile(*content);
      } else {
        c.errors.push_back(content.status().message());
      }
      if (!c.errors.empty()) {
        log::Error("rule check failed", {{"result", "FAILED"}, {"filename", file}});
        for (const auto& e : c.errors) log::Error("rule check failed", {{"error", e}});
        failed++;
        continue;
      }
      log::Info("rule check done",
                {{"result", "SUCCESS"}, {"rules found", std::to_string(c.rules)}});
    }
  }
  if (failed > 0)
    return Status::InvalidArgument(std::to_string(failed) +
                                   " rule file(s) or pattern(s) failed the check");
  return Status::OK();
}

void RegisterRulesCheck(CLI::App& tools, int* exit_code) {
  auto rules = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = tools.add_subcommand("rules-check", "Check if the rule files are valid or not.");
  cmd->add_option("--rules", *rules, "The rule files glob to check (repeated).")->required();
  cmd->callback([rules, exit_code] {
    if (Status st = CheckRules(*rules); !st.ok())
      *exit_code = Fail("rules-check: " + st.ToString());
  });
}

}  // namespace

void RegisterToolsCommand(CLI::App& app, int* exit_code) {
  CLI::App* tools = app.add_subcommand("tools", "Tools utility commands.");
  tools->require_subcommand(1);
  CLI::App* tsdb =
      tools->add_subcommand("tsdb", "Work with local TSDB blocks (like promtool tsdb).");
  tsdb->require_subcommand(1);
  RegisterDump(*tsdb, exit_code);
  RegisterCreateBlocks(*tsdb, exit_code);
  RegisterBucketTools(*tools, exit_code);
  RegisterPromqlTools(*tools, exit_code);
  RegisterRulesCheck(*tools, exit_code);
}

}  // namespace strata::cmd
