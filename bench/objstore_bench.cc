// Object storage throughput: uploads a real TSDB block (index + chunk segments + meta.json) the
// way the sidecar and compactor do, downloads every object again, and does random 16 KiB ranged
// reads the way the store gateway does. Prints MiB/s and bucket operations per block upload.
// End-to-end over real I/O, so a plain program rather than a Google Benchmark kernel; run by
// bench/objstore_bench.sh against FILESYSTEM and a local S3 server.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "bench/bench_data.h"
#include "bench/bench_util.h"
#include "block/block.h"
#include "objstore/config.h"
#include "objstore/wrappers.h"
#include "tsdb/block_writer.h"

namespace fs = std::filesystem;
using namespace strata;

namespace {

using bench::Check;
using bench::Seconds;

// Sum of the `thanos_objstore_bucket_operations_total` samples for one operation.
double Operations(const Registry& reg, const std::string& op) {
  std::string text = reg.Expose(), needle = "operation=\"" + op + "\"";
  double total = 0;
  size_t pos = 0;
  while ((pos = text.find("thanos_objstore_bucket_operations_total{", pos)) != std::string::npos) {
    size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol - pos);
    if (line.find(needle) != std::string::npos)
      total += std::stod(line.substr(line.rfind(' ') + 1));
    pos = eol;
  }
  return total;
}

// A gauge-valued block of `series` × `samples` (random values: ~9 bytes per sample).
std::string WriteBlock(const std::string& parent, int series, int samples) {
  std::vector<int64_t> ts;
  std::vector<double> vs;
  bench::MakeSamples(bench::Shape::kGauge, static_cast<size_t>(samples), 11, &ts, &vs);
  tsdb::BlockWriter w(parent, {});
  for (int i = 0; i < series; i++) {
    Labels l{
        {"__name__", "bench_gauge"}, {"instance", "host-" + std::to_string(i)}, {"job", "bench"}};
    for (int j = 0; j < samples; j++) Check(w.Append(l, ts[j], vs[(j + i) % samples]), "append");
  }
  auto meta = w.Flush();
  Check(meta.status(), "flush");
  return (fs::path(parent) / meta->ulid.String()).string();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: objstore_bench LABEL OBJSTORE_YAML [SERIES SAMPLES ITERATIONS]\n");
    return 2;
  }
  const std::string label = argv[1], yaml = argv[2];
  const int series = argc > 3 ? std::atoi(argv[3]) : 2000;
  const int samples = argc > 4 ? std::atoi(argv[4]) : 3600;
  const int iterations = argc > 5 ? std::atoi(argv[5]) : 3;

  Registry reg;
  auto bucket = objstore::NewBucketFromConfig(yaml, &reg);
  Check(bucket.status(), "bucket");
  std::string tmp =
      (fs::temp_directory_path() / ("strata-objstore-bench-" + std::to_string(getpid()))).string();
  fs::create_directories(tmp);
  std::string dir = WriteBlock(tmp, series, samples);
  std::string id = fs::path(dir).filename().string();
  int64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) bytes += static_cast<int64_t>(e.file_size());
  }
  const double mib = static_cast<double>(bytes) / (1 << 20);

  double up_s = 0, down_s = 0, range_s = 0;
  const int kRanges = 200;
  std::mt19937_64 rng(5);
  for (int it = 0; it < iterations; it++) {
    auto t0 = std::chrono::steady_clock::now();
    Check(block::UploadBlock(**bucket, dir), "upload");
    up_s += Seconds(t0);

    std::vector<std::string> names;
    Check((*bucket)->Iter(
              id,
              [&](std::string_view n) {
                names.emplace_back(n);
                return Status::OK();
              },
              true),
          "iter");
    t0 = std::chrono::steady_clock::now();
    for (const auto& n : names) Check((*bucket)->Download(n, tmp + "/download"), "download");
    down_s += Seconds(t0);

    const std::string chunks = id + "/chunks/000001";
    auto attrs = (*bucket)->Attributes(chunks);
    Check(attrs.status(), "attributes");
    t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < kRanges; r++) {
      int64_t off = static_cast<int64_t>(rng() % static_cast<uint64_t>(attrs->size - 16384));
      Check((*bucket)->GetRange(chunks, off, 16384).status(), "get range");
    }
    range_s += Seconds(t0);
    for (const auto& n : names) Check((*bucket)->Delete(n), "delete");
  }
  fs::remove_all(tmp);
  const double ops_per_upload = Operations(reg, "upload") / iterations;
  std::printf("| %s | %.1f MiB | %.1f MiB/s | %.1f MiB/s | %.0f reads/s (%.2f ms) | %.0f |\n",
              label.c_str(), mib, mib * iterations / up_s, mib * iterations / down_s,
              kRanges * iterations / range_s, range_s * 1000 / (kRanges * iterations),
              ops_per_upload);
  return 0;
}
