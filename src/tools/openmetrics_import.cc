#include "tools/openmetrics_import.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "base/file.h"
#include "textparse/openmetrics_parser.h"
#include "tsdb/block_writer.h"

namespace strata::tools {
namespace {
constexpr int64_t kDefaultBlockDuration = 2 * 3600 * 1000;
}

int64_t CompatibleBlockDuration(int64_t max_block_duration_ms) {
  int64_t d = kDefaultBlockDuration;
  if (max_block_duration_ms <= d) return d;
  int64_t best = d;
  for (int i = 0; i < 10; i++, d *= 3) {
    if (d > max_block_duration_ms) break;
    best = d;
  }
  return best;
}

Result<std::vector<tsdb::BlockMeta>> CreateBlocksFromOpenMetrics(const ImportOptions& opts) {
  STRATA_ASSIGN_OR_RETURN(MappedFile input, MappedFile::Open(opts.input_file));
  std::string_view data = input.data();
  auto context = [&](const Status& st) { return st.WithContext(opts.input_file); };

  // Pass 1: validate everything and find the time range.
  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  {
    textparse::OpenMetricsParser p(data);
    textparse::OpenMetricsSample s;
    while (p.Next(&s)) {
      if (!s.timestamp_ms) {
        return Status::InvalidArgument(opts.input_file + ": line " + std::to_string(p.line()) +
                                       ": expected timestamp for series " + s.labels.String() +
                                       ", got none");
      }
      mint = std::min(mint, *s.timestamp_ms);
      maxt = std::max(maxt, *s.timestamp_ms);
    }
    if (!p.status().ok()) return context(p.status());
  }
  std::vector<tsdb::BlockMeta> out;
  if (mint > maxt) return out;  // no samples

  std::error_code ec;
  std::filesystem::create_directories(opts.output_dir, ec);
  if (ec) return Status::IOError("create " + opts.output_dir + ": " + ec.message());

  const int64_t block = CompatibleBlockDuration(opts.max_block_duration_ms);
  mint = block * (mint / block);  // truncating division, as promtool does
  for (int64_t t = mint; t <= maxt; t += block) {
    const int64_t upper = t + block;
    tsdb::BlockWriter w(opts.output_dir);
    textparse::OpenMetricsParser p(data);
    textparse::OpenMetricsSample s;
    while (p.Next(&s)) {
      if (*s.timestamp_ms < t || *s.timestamp_ms >= upper) continue;
      Status st = w.Append(s.labels, *s.timestamp_ms, s.value);
      if (!st.ok()) {
        return st.WithContext(opts.input_file + ": line " + std::to_string(p.line()) +
                              ": add sample");
      }
    }
    if (w.num_samples() == 0) continue;
    STRATA_ASSIGN_OR_RETURN(tsdb::BlockMeta meta, w.Flush());
    out.push_back(std::move(meta));
    if (upper < t) break;  // overflow guard
  }
  return out;
}

}  // namespace strata::tools
