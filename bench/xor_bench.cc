// XOR chunk encode/decode throughput in samples per second, on 120-sample chunks (the size
// Prometheus writes), for counter-, gauge- and constant-shaped data.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "tsdb/xor_chunk.h"

namespace strata::bench {
namespace {

constexpr size_t kChunkSamples = 120;
constexpr size_t kChunks = 1000;

void BM_XorEncode(benchmark::State& state) {
  auto shape = static_cast<Shape>(state.range(0));
  std::vector<int64_t> ts;
  std::vector<double> vs;
  MakeSamples(shape, kChunkSamples * kChunks, 1, &ts, &vs);
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (size_t c = 0; c < kChunks; c++) {
      std::string chunk =
          tsdb::EncodeXorChunk(&ts[c * kChunkSamples], &vs[c * kChunkSamples], kChunkSamples);
      bytes += chunk.size();
      benchmark::DoNotOptimize(chunk.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunkSamples * kChunks));
  state.counters["bytes/sample"] = static_cast<double>(bytes) / (kChunkSamples * kChunks);
}

// kChunks chunks of kChunkSamples samples of the benchmark's shape; *ts: their timestamps.
std::vector<std::string> MakeChunks(benchmark::State& state, std::vector<int64_t>* ts) {
  auto shape = static_cast<Shape>(state.range(0));
  std::vector<double> vs;
  MakeSamples(shape, kChunkSamples * kChunks, 1, ts, &vs);
  std::vector<std::string> chunks;
  for (size_t c = 0; c < kChunks; c++) {
    chunks.push_back(
        tsdb::EncodeXorChunk(&(*ts)[c * kChunkSamples], &vs[c * kChunkSamples], kChunkSamples));
  }
  return chunks;
}

void BM_XorDecode(benchmark::State& state) {
  std::vector<int64_t> ts;
  const std::vector<std::string> chunks = MakeChunks(state, &ts);
  for (auto _ : state) {
    int64_t tsum = 0;
    double vsum = 0;
    for (const auto& chunk : chunks) {
      tsdb::XorIterator it(chunk);
      while (it.Next()) {
        tsum += it.t();
        vsum += it.v();
      }
    }
    benchmark::DoNotOptimize(tsum);
    benchmark::DoNotOptimize(vsum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunkSamples * kChunks));
}

// All chunks decoded into arrays with XorDecodeAll, as the engine loads a series' samples.
void BM_XorDecodeAll(benchmark::State& state) {
  std::vector<int64_t> ts;
  const std::vector<std::string> chunks = MakeChunks(state, &ts);
  std::vector<std::string_view> views(chunks.begin(), chunks.end());
  std::vector<int64_t> out_t(ts.size());
  std::vector<double> out_v(ts.size());
  for (auto _ : state) {
    Status st = tsdb::XorDecodeAll(views.data(), views.size(), out_t.data(), out_v.data());
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    benchmark::DoNotOptimize(out_t.data());
    benchmark::DoNotOptimize(out_v.data());
    benchmark::ClobberMemory();
  }
  if (out_t != ts) state.SkipWithError("decoded timestamps differ");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kChunkSamples * kChunks));
}

// Shapes: 0 counter, 1 gauge, 2 constant (all with +-5ms scrape jitter), 3 counter at exact 15s.
BENCHMARK(BM_XorEncode)->DenseRange(0, 3)->ArgName("shape");
BENCHMARK(BM_XorDecode)->DenseRange(0, 3)->ArgName("shape");
BENCHMARK(BM_XorDecodeAll)->DenseRange(0, 3)->ArgName("shape");

}  // namespace
}  // namespace strata::bench
