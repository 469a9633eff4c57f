#include "tools/bucket_tools.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "base/duration.h"

namespace strata::tools {
namespace {

std::string Rfc3339(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string HumanBytes(int64_t b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, kUnits[u]);
  return buf;
}

std::string Resolution(int64_t ms) { return ms == 0 ? "0s" : FormatDuration(ms); }

std::string LabelsOf(const block::BucketBlock& b) {
  if (!b.meta.thanos || b.meta.thanos->labels.empty()) return "";
  std::string s;
  for (const auto& l : b.meta.thanos->labels) {
    if (!s.empty()) s += ",";
    s += l.name + "=" + l.value;
  }
  return s;
}

std::vector<const block::BucketBlock*> Sorted(const std::vector<block::BucketBlock>& blocks) {
  std::vector<const block::BucketBlock*> v;
  for (const auto& b : blocks) v.push_back(&b);
  std::sort(v.begin(), v.end(), [](const auto* a, const auto* b) {
    bool ag = !a->partial && a->error.empty(), bg = !b->partial && b->error.empty();
    if (ag != bg) return ag;
    if (ag && a->meta.min_time != b->meta.min_time) return a->meta.min_time < b->meta.min_time;
    return a->id < b->id;
  });
  return v;
}

}  // namespace

std::string FormatBucketLs(const std::vector<block::BucketBlock>& blocks, bool wide) {
  std::string out;
  for (const auto* b : Sorted(blocks)) {
    out += b->id;
    if (wide) {
      if (b->partial) {
        out += " -- partial upload (no meta.json)";
      } else if (!b->error.empty()) {
        out += " -- unreadable meta.json: " + b->error;
      } else {
        const auto& m = b->meta;
        out += " -- " + Rfc3339(m.min_time) + " - " + Rfc3339(m.max_time) +
               " Diff: " + FormatDuration(m.max_time - m.min_time) +
               ", Compaction: " + std::to_string(m.compaction.level) +
               ", Downsample: " + std::to_string(m.thanos ? m.thanos->downsample_resolution : 0) +
               ", Source: " + (m.thanos ? m.thanos->source : "") + ", Labels: {" + LabelsOf(*b) +
               "}";
      }
      if (b->marked_for_deletion) out += " (marked for deletion)";
    }
    out += "\n";
  }
  return out;
}

std::string FormatBucketInspect(const std::vector<block::BucketBlock>& blocks,
                                const InspectOptions& opts) {
  std::vector<std::vector<std::string>> rows = {{"ULID", "FROM", "UNTIL", "RANGE", "SERIES",
                                                 "SAMPLES", "CHUNKS", "LEVEL", "RESOLUTION",
                                                 "SOURCE", "LABELS", "SIZE"}};
  std::map<int64_t, std::pair<int, int64_t>> per_resolution;  // blocks, bytes
  int64_t total = 0;
  std::string problems;  // listed under the table so they do not stretch its columns
  for (const auto* b : Sorted(blocks)) {
    total += b->size_bytes;
    if (b->partial || !b->error.empty()) {
      problems +=
          b->id + "  " +
          (b->partial ? "partial upload (no meta.json)" : "unreadable meta.json: " + b->error) +
          ", " + HumanBytes(b->size_bytes) + "\n";
      continue;
    }
    const auto& m = b->meta;
    int64_t res = m.thanos ? m.thanos->downsample_resolution : 0;
    per_resolution[res].first++;
    per_resolution[res].second += b->size_bytes;
    std::string level = std::to_string(m.compaction.level);
    if (b->marked_for_deletion) level += " (deleting)";
    rows.push_back({b->id, Rfc3339(m.min_time), Rfc3339(m.max_time),
                    FormatDuration(m.max_time - m.min_time), std::to_string(m.stats.num_series),
                    std::to_string(m.stats.num_samples), std::to_string(m.stats.num_chunks), level,
                    Resolution(res), m.thanos ? m.thanos->source : "", LabelsOf(*b),
                    HumanBytes(b->size_bytes)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); i++) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += problems + "\n";
  for (const auto& [res, v] : per_resolution) {
    out += "resolution " + Resolution(res) + ": " + std::to_string(v.first) + " blocks, " +
           HumanBytes(v.second) + "\n";
  }
  double gib = static_cast<double>(total) / (1024.0 * 1024.0 * 1024.0);
  char buf[160];
  std::snprintf(
      buf, sizeof(buf),
      "total: %zu blocks, %s; estimated storage cost $%.2f/month at $%.4f per GiB-month\n",
      blocks.size(), HumanBytes(total).c_str(), gib * opts.price_per_gib_month,
      opts.price_per_gib_month);
  out += buf;
  return out;
}

}  // namespace strata::tools
