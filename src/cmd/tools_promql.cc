// `strata tools promql test|query`: run PromQL test scripts, and evaluate queries offline over
// a directory of TSDB blocks (printing Prometheus's HTTP API JSON).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "base/file.h"
#include "base/timestamp.h"
#include "cmd/command.h"
#include "promql/engine.h"
#include "promql/json.h"
#include "promql/test_script.h"
#include "storage/block_querier.h"

namespace strata::cmd {
namespace {

void RegisterPromqlTest(CLI::App& promql, int* exit_code) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto verbose = std::make_shared<bool>(false);
  CLI::App* test = promql.add_subcommand(
      "test",
      "Run Prometheus PromQL test scripts (the promqltest format) against Strata's engine.");
  test->add_option("files", *files, "Test script files.")->required();
  test->add_flag("-v,--verbose", *verbose, "Also list skipped cases with the reason.");
  test->callback([files, verbose, exit_code] {
    int passed = 0, failed = 0, skipped = 0;
    for (const auto& f : *files) {
      auto content = ReadFile(f);
      if (!content.ok()) {
        *exit_code = Fail(content.status().ToString());
        return;
      }
      auto report = promql::RunTestScript(*content, f);
      if (!report.ok()) {
        *exit_code = Fail(report.status().message());
        return;
      }
      for (const auto& line : report->failures) std::printf("FAIL %s\n", line.c_str());
      if (*verbose) {
        for (const auto& line : report->skips) std::printf("SKIP %s\n", line.c_str());
      }
      passed += report->passed;
      failed += report->failed;
      skipped += report->skipped;
    }
    std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed > 0) *exit_code = 1;
  });
}

struct QueryFlags {
  std::string data_dir;
  std::string query;
  std::string queries_file;
  std::string time, start, end, step;
  std::string lookback = "5m";
};

// Prometheus's error envelope for one failed query.
std::string ErrorJson(const Status& st) {
  const char* type = st.code() == StatusCode::kDeadlineExceeded ? "timeout"
                     : st.code() == StatusCode::kCancelled      ? "canceled"
                                                                : "execution";
  std::string out = "{\"status\":\"error\",\"errorType\":\"";
  out += type;
  out += "\",\"error\":";
  promql::AppendJsonString(&out, st.message());
  return out + "}";
}

Status RunQueries(const QueryFlags& f) {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> dirs, tsdb::ListBlockDirs(f.data_dir));
  std::vector<std::shared_ptr<const tsdb::Block>> blocks;
  for (const auto& d : dirs) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Block> b, tsdb::Block::Open(d));
    blocks.push_back(std::move(b));
  }
  auto querier = storage::NewBlocksQuerier(std::move(blocks));
  promql::EngineOptions opts;
  STRATA_ASSIGN_OR_RETURN(opts.lookback_delta_ms, ParseApiDuration(f.lookback));
  promql::Engine engine(opts);
  const bool range = !f.start.empty() || !f.end.empty() || !f.step.empty();
  int64_t t = NowMs(), start = 0, end = 0, step = 0;
  if (range) {
    STRATA_ASSIGN_OR_RETURN(start, ParseApiTime(f.start));
    STRATA_ASSIGN_OR_RETURN(end, ParseApiTime(f.end));
    STRATA_ASSIGN_OR_RETURN(step, ParseApiDuration(f.step));
  } else if (!f.time.empty()) {
    STRATA_ASSIGN_OR_RETURN(t, ParseApiTime(f.time));
  }
  std::vector<std::string> queries;
  if (!f.query.empty()) queries.push_back(f.query);
  if (!f.queries_file.empty()) {
    std::ifstream in(f.queries_file);
    if (!in) return Status::NotFound("cannot open " + f.queries_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) queries.push_back(line);
    }
  }
  for (const auto& q : queries) {
    auto r = range ? engine.RangeQuery(*querier, q, start, end, step)
                   : engine.InstantQuery(*querier, q, t);
    std::string line =
        r.ok() ? "{\"status\":\"success\",\"data\":" + promql::FormatResultData(*r) + "}"
               : ErrorJson(r.status());
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  return Status::OK();
}

void RegisterPromqlQuery(CLI::App& promql, int* exit_code) {
  auto f = std::make_shared<QueryFlags>();
  CLI::App* query = promql.add_subcommand(
      "query",
      "Evaluate PromQL over local TSDB blocks; prints one Prometheus API JSON response per query.");
  query->add_option("--data-dir", f->data_dir, "Directory holding blocks (or one block).")
      ->required();
  query->add_option("query", f->query, "The PromQL expression.");
  query->add_option("--queries-file", f->queries_file, "File with one expression per line.");
  query->add_option("--time", f->time,
                    "Instant query time (RFC 3339 or Unix seconds); default now.");
  query->add_option("--start", f->start, "Range query start.");
  query->add_option("--end", f->end, "Range query end.");
  query->add_option("--step", f->step, "Range query step (duration or seconds).");
  query->add_option("--query.lookback-delta", f->lookback, "Lookback for instant vector selectors.")
      ->capture_default_str();
  query->callback([f, exit_code] {
    if (f->query.empty() && f->queries_file.empty()) {
      *exit_code = Fail("give a query or --queries-file");
      return;
    }
    Status st = RunQueries(*f);
    if (!st.ok()) *exit_code = Fail(st.ToString());
  });
}

}  // namespace

void RegisterPromqlTools(CLI::App& tools, int* exit_code) {
  CLI::App* promql = tools.add_subcommand("promql", "PromQL utilities.");
  promql->require_subcommand(1);
  RegisterPromqlTest(*promql, exit_code);
  RegisterPromqlQuery(*promql, exit_code);
}

}  // namespace strata::cmd
