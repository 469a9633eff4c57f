// The sidecar's overhead: fetches every series with its chunks from Prometheus's own streamed
// remote-read endpoint and through `strata sidecar` (remote read + external labels + sort + gRPC),
// and times the shipper uploading a TSDB directory's blocks. End to end over real processes, so a
// plain program rather than a Google Benchmark kernel; run by bench/sidecar_bench.sh.
//   sidecar_bench gen DIR SERIES HOURS        write 2h blocks of generated scrapes into DIR
//   sidecar_bench read PROM_URL SIDECAR ITERS  Series throughput, direct vs through the sidecar
//   sidecar_bench ship TSDB_DIR BUCKET_DIR     shipper throughput into a FILESYSTEM bucket
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "bench/bench_util.h"
#include "objstore/filesystem.h"
#include "sidecar/prometheus_client.h"
#include "sidecar/shipper.h"
#include "storeapi/client.h"
#include "tsdb/block_writer.h"

namespace fs = std::filesystem;
using namespace strata;

namespace {

using bench::Check;
using bench::Seconds;

int Gen(const std::string& dir, int series, int hours) {
  fs::create_directories(dir);
  const size_t per_block = 2 * 3600 / 15;
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (int b = 0; b < hours / 2; b++) {
    tsdb::BlockWriter w(dir);
    for (int i = 0; i < series; i++) {
      bench::MakeSamples(i % 3 == 0 ? bench::Shape::kGauge : bench::Shape::kCounter, per_block,
                         i * 7919 + b, &ts, &vs);
      Labels l{{"__name__", "bench_metric_" + std::to_string(i % 10)},
               {"instance", "host-" + std::to_string(i)},
               {"job", "bench"}};
      const int64_t shift = int64_t{b} * 2 * 3600 * 1000;
      for (size_t k = 0; k < ts.size(); k++) Check(w.Append(l, ts[k] + shift, vs[k]), "append");
    }
    Check(w.Flush().status(), "flush");
  }
  return 0;
}

struct Totals {
  size_t series = 0, chunks = 0, bytes = 0;
};

int Read(const std::string& prom_url, const std::string& sidecar, int iters) {
  sidecar::PrometheusClient prom(prom_url, 600000);
  auto store = storeapi::StoreClient::Connect(sidecar, std::chrono::seconds(600));
  const Matchers all = {Matcher::Make(MatchType::kEqual, "job", "bench").value()};
  std::vector<double> direct, through;
  Totals td, tt;
  for (int it = 0; it < iters; it++) {
    Totals d;
    auto t0 = std::chrono::steady_clock::now();
    Check(prom.RemoteRead(all, 0, INT64_MAX / 2,
                          [&](Labels, std::vector<sidecar::RemoteChunk> chunks) {
                            d.series++;
                            d.chunks += chunks.size();
                            for (const auto& c : chunks) d.bytes += c.data.size();
                            return Status::OK();
                          }),
          "remote read");
    direct.push_back(Seconds(t0));
    Totals s;
    t0 = std::chrono::steady_clock::now();
    Check(store->SeriesRaw({all, 0, INT64_MAX / 2},
                           [&](const Labels&, const std::vector<storeapi::RawChunk>& chunks) {
                             s.series++;
                             s.chunks += chunks.size();
                             for (const auto& c : chunks) s.bytes += c.data.size();
                             return Status::OK();
                           },
                           {}),
          "sidecar Series");
    through.push_back(Seconds(t0));
    td = d;
    tt = s;
  }
  std::sort(direct.begin(), direct.end());
  std::sort(through.begin(), through.end());
  const double md = direct[direct.size() / 2], mt = through[through.size() / 2];
  const double mib = static_cast<double>(td.bytes) / (1 << 20);
  std::printf(
      "| Prometheus remote read (direct) | %zu series, %zu chunks, %.1f MiB | %.3f s | %.1f MiB/s "
      "| 1.00 |\n",
      td.series, td.chunks, mib, md, mib / md);
  std::printf(
      "| strata sidecar Series (gRPC) | %zu series, %zu chunks, %.1f MiB | %.3f s | %.1f MiB/s | "
      "%.2f |\n",
      tt.series, tt.chunks, static_cast<double>(tt.bytes) / (1 << 20), mt,
      static_cast<double>(tt.bytes) / (1 << 20) / mt, mt / md);
  return td.series == tt.series && td.chunks == tt.chunks ? 0 : 1;
}

int Ship(const std::string& tsdb_dir, const std::string& bucket_dir) {
  fs::create_directories(bucket_dir);
  auto bucket = objstore::NewFilesystemBucket(bucket_dir);
  Check(bucket.status(), "bucket");
  Registry reg;
  sidecar::ShipperOptions o;
  o.dir = tsdb_dir;
  sidecar::Shipper shipper(std::shared_ptr<objstore::Bucket>(std::move(*bucket)), o, &reg);
  size_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(tsdb_dir))
    if (e.is_regular_file()) bytes += e.file_size();
  auto t0 = std::chrono::steady_clock::now();
  auto n = shipper.Sync(Labels{{"cluster", "bench"}, {"replica", "0"}});
  const double secs = Seconds(t0);
  Check(n.status(), "sync");
  const double mib = static_cast<double>(bytes) / (1 << 20);
  std::printf(
      "| shipper, FILESYSTEM bucket | %d blocks, %.1f MiB | %.3f s | %.1f MiB/s | %.1f ms per "
      "block |\n",
      *n, mib, secs, mib / secs, 1000 * secs / std::max(1, *n));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "gen" && argc == 5) return Gen(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "read" && argc == 5) return Read(argv[2], argv[3], std::atoi(argv[4]));
  if (mode == "ship" && argc == 4) return Ship(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: sidecar_bench gen DIR SERIES HOURS | read PROM_URL SIDECAR ITERS | ship "
               "TSDB_DIR BUCKET_DIR\n");
  return 2;
}
