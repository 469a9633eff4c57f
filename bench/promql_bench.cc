// PromQL end to end over TSDB blocks, for the side-by-side comparison with Prometheus
// (bench/promql_vs_prometheus.py):
//   promql_bench generate DIR HOURS [SERIES]
//                                     writes 2h blocks of a dashboard-shaped data set: without
//                                     SERIES 10,000 counter series, 2,400 histogram buckets and
//                                     1,000 gauges; with it, SERIES series in all (half counters,
//                                     about 30% histogram buckets, the rest gauges)
//   promql_bench run DIR END_MS QUERIES_FILE RUNS
//                                     times each query (engine + Prometheus JSON encoding) as
//                                     a 1h range query (step 15s) and a 24h one (step 90s)
//                                     ending at END_MS; prints "query<TAB>range<TAB>median_ms"
//                                     and finally the peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "promql/engine.h"
#include "promql/json.h"
#include "storage/block_querier.h"
#include "tsdb/block_writer.h"

using namespace strata;

namespace {

constexpr int64_t kBase = 1'700'000'000'000;
constexpr int64_t kScrape = 15'000;

bool Append(tsdb::BlockWriter& w, const Labels& l, int64_t t, double v) {
  Status st = w.Append(l, t, v);
  if (!st.ok()) std::fprintf(stderr, "append %s: %s\n", l.String().c_str(), st.ToString().c_str());
  return st.ok();
}

// How many series of each kind: counters are jobs x instances x 5 codes, histograms have 12
// buckets per instance.
struct Shape {
  int jobs = 10, instances_per_job = 200, histogram_instances = 200, gauges = 1000;
};

Shape ShapeFor(int series) {
  if (series <= 0) return Shape{};
  Shape s;
  s.jobs = std::clamp(series / 1000, 2, 10);
  s.instances_per_job = std::max(1, series / 2 / 5 / s.jobs);
  s.histogram_instances = std::max(1, series * 3 / 10 / 12);
  s.gauges = std::max(1, series - s.jobs * s.instances_per_job * 5 - s.histogram_instances * 12);
  return s;
}

int Generate(const std::string& dir, int hours, int series) {
  std::filesystem::create_directories(dir);
  const Shape shape = ShapeFor(series);
  std::mt19937_64 rng(7);
  const char* codes[] = {"200", "201", "404", "500", "503"};
  const char* bounds[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                          "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  struct Series {
    Labels labels;
    double v = 0;
    double rate;
  };
  std::vector<Series> counters;
  for (int job = 0; job < shape.jobs; job++) {
    for (int inst = 0; inst < shape.instances_per_job; inst++) {
      for (int c = 0; c < 5; c++) {
        counters.push_back(
            {Labels{{"__name__", "http_requests_total"},
                    {"code", codes[c]},
                    {"instance", "10.0." + std::to_string(job) + "." + std::to_string(inst)},
                    {"job", "job-" + std::to_string(job)}},
             0, static_cast<double>(rng() % 100) / 10});
      }
    }
  }
  std::vector<Series> buckets;
  for (int inst = 0; inst < shape.histogram_instances; inst++) {
    for (int b = 0; b < 12; b++) {
      buckets.push_back({Labels{{"__name__", "request_duration_seconds_bucket"},
                                {"instance", std::to_string(inst)},
                                {"job", "api"},
                                {"le", bounds[b]}},
                         0, 1.0 + b});
    }
  }
  std::vector<Series> gauges;
  for (int inst = 0; inst < shape.gauges; inst++) {
    gauges.push_back(
        {Labels{{"__name__", "memory_bytes"}, {"instance", std::to_string(inst)}, {"job", "node"}},
         1e9, 0});
  }
  const int64_t block_ms = 2 * 3600 * 1000;
  for (int64_t start = 0; start < hours * 3600 * 1000LL; start += block_ms) {
    tsdb::BlockWriter w(dir);
    for (int64_t t = start; t < start + block_ms; t += kScrape) {
      const int64_t ts = kBase + t + static_cast<int64_t>(rng() % 200);
      for (auto& s : counters) {
        s.v += s.rate * 15 * static_cast<double>(rng() % 100) / 100;
        if (!Append(w, s.labels, ts, std::floor(s.v))) return 1;
      }
      for (auto& s : buckets) {
        s.v += s.rate * static_cast<double>(rng() % 10);
        if (!Append(w, s.labels, ts, s.v)) return 1;
      }
      for (auto& s : gauges) {
        s.v += static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000);
        if (!Append(w, s.labels, ts, s.v)) return 1;
      }
    }
    auto meta = w.Flush();
    if (!meta.ok()) {
      std::fprintf(stderr, "flush: %s\n", meta.status().ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "wrote block %s\n", meta->ulid.String().c_str());
  }
  return 0;
}

int Run(const std::string& dir, int64_t end, const std::string& queries_file, int runs) {
  auto dirs = tsdb::ListBlockDirs(dir);
  if (!dirs.ok()) return 1;
  std::vector<std::shared_ptr<const tsdb::Block>> blocks;
  for (const auto& d : *dirs) {
    auto b = tsdb::Block::Open(d);
    if (!b.ok()) return 1;
    blocks.push_back(std::move(*b));
  }
  auto querier = storage::NewBlocksQuerier(std::move(blocks));
  promql::Engine engine;
  std::ifstream in(queries_file);
  for (std::string q; std::getline(in, q);) {
    if (q.empty()) continue;
    for (auto [range, step, name] :
         {std::tuple{3600'000LL, 15'000LL, "1h"}, std::tuple{86400'000LL, 90'000LL, "24h"}}) {
      std::vector<double> ms;
      size_t bytes = 0;
      for (int r = 0; r < runs; r++) {
        auto t0 = std::chrono::steady_clock::now();
        auto res = engine.RangeQuery(*querier, q, end - range, end, step);
        if (!res.ok()) {
          std::fprintf(stderr, "%s: %s\n", q.c_str(), res.status().ToString().c_str());
          return 1;
        }
        bytes = promql::FormatResultData(*res).size();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("%s\t%s\t%.2f\t%zu\n", q.c_str(), name, ms[ms.size() / 2], bytes);
      std::fflush(stdout);
    }
  }
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak_rss_kib\t%ld\n", ru.ru_maxrss);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && (argc == 4 || argc == 5))
    return Generate(argv[2], std::atoi(argv[3]), argc == 5 ? std::atoi(argv[4]) : 0);
  if (mode == "run" && argc == 6)
    return Run(argv[2], std::atoll(argv[3]), argv[4], std::atoi(argv[5]));
  std::fprintf(
      stderr,
      "usage: promql_bench generate DIR HOURS [SERIES] | run DIR END_MS QUERIES_FILE RUNS\n");
  return 2;
}
