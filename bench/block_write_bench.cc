// End-to-end block writing (append, chunk encoding, index, fsync) in samples per second.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "bench/bench_data.h"
#include "tsdb/block_writer.h"

namespace strata::bench {
namespace {

void BM_BlockWrite(benchmark::State& state) {
  const size_t series = static_cast<size_t>(state.range(0));
  const size_t per_series = 480;  // 2h at 15s
  std::vector<int64_t> ts;
  std::vector<double> vs;
  MakeSamples(Shape::kCounter, per_series, 3, &ts, &vs);
  std::vector<Labels> labels;
  for (size_t i = 0; i < series; i++) {
    labels.push_back(
        Labels{{"__name__", "http_requests_total"},
               {"instance", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250)},
               {"job", "api"}});
  }
  std::string dir = std::filesystem::temp_directory_path() / "strata-bench-blocks";
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    tsdb::BlockWriter w(dir);
    for (size_t j = 0; j < per_series; j++) {
      for (size_t i = 0; i < series; i++) {
        if (!w.Append(labels[i], ts[j], vs[j]).ok()) state.SkipWithError("append failed");
      }
    }
    if (!w.Flush().ok()) state.SkipWithError("flush failed");
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * series * per_series));
}

BENCHMARK(BM_BlockWrite)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::bench
