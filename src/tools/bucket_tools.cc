#include "tools/bucket_tools.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "base/duration.h"
#include "base/go_format.h"

namespace strata::tools {
namespace {

// Go's time.Unix(ms/1000, 0).Format(time.RFC3339) in the local time zone.
std::string LocalRfc3339(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  const long off = tm.tm_gmtoff;
  if (off == 0) return out + "Z";
  std::snprintf(buf, sizeof(buf), "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600,
                std::labs(off) % 3600 / 60);
  return out + buf;
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

// 1234567 as "1,234,567" (Go's message printer for English).
std::string Grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); i++) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

bool Readable(const block::BucketBlock& b) { return !b.partial && b.error.empty(); }

int64_t ResolutionOf(const block::BucketBlock& b) {
  return b.meta.thanos ? b.meta.thanos->downsample_resolution : 0;
}

// A cell, and what Thanos's sort compares it as: a time, a duration or a number when the text
// reads as one, else the text.
struct Cell {
  std::string text;
  enum Kind { kText, kTime, kDuration, kNumber } kind = kText;
  int64_t value = 0;
};

Cell Text(std::string s) { return {std::move(s), Cell::kText, 0}; }
Cell Time(int64_t ms) { return {LocalRfc3339(ms), Cell::kTime, ms / 1000}; }
Cell Duration(int64_t ms) { return {GoFormatDuration(ms), Cell::kDuration, ms}; }
Cell Number(int64_t v) { return {Grouped(v), Cell::kNumber, v}; }

bool Less(const Cell& a, const Cell& b) {
  if (a.kind == b.kind && a.kind != Cell::kText) return a.value < b.value;
  return a.text < b.text;
}

std::vector<Cell> InspectRow(const block::BucketBlock& b) {
  const auto& m = b.meta;
  const int64_t res = ResolutionOf(b), range = m.max_time - m.min_time;
  // How long until the block is big enough to be downsampled further (Thanos's 40h and 10d).
  Cell until_down = Text("-");
  if (res == 0) until_down = Duration(40 * 3600 * 1000 - range);
  if (res == 5 * 60 * 1000) until_down = Duration(240 * 3600 * 1000 - range);
  std::string labels;
  if (m.thanos) {
    for (const auto& l : m.thanos->labels)
      labels += (labels.empty() ? "" : ",") + l.name + "=" + l.value;
  }
  return {Text(b.id),
          Time(m.min_time),
          Time(m.max_time),
          Duration(range),
          until_down,
          Number(static_cast<int64_t>(m.stats.num_series)),
          Number(static_cast<int64_t>(m.stats.num_samples)),
          Number(static_cast<int64_t>(m.stats.num_chunks)),
          Number(m.compaction.level),
          Text(m.compaction.failed ? "true" : "false"),
          Text(labels),
          Duration(res),
          Text(m.thanos ? m.thanos->source : "")};
}

// Display width: one column per UTF-8 character.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// tablewriter's layout as Thanos configures it: side borders, centred headers, cells left
// aligned, a dashed line under the header.
std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<Cell>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); i++) w[i] = Width(header[i]);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); i++) w[i] = std::max(w[i], Width(r[i].text));
  }
  std::string out = "|";
  for (size_t i = 0; i < header.size(); i++) {
    const size_t gap = w[i] - Width(header[i]);
    out += " " + std::string(gap / 2, ' ') + header[i] + std::string(gap - gap / 2, ' ') + " |";
  }
  out += "\n|";
  for (size_t i = 0; i < header.size(); i++) out += std::string(w[i] + 2, '-') + "|";
  out += "\n";
  for (const auto& r : rows) {
    out += "|";
    for (size_t i = 0; i < r.size(); i++)
      out += " " + r[i].text + std::string(w[i] - Width(r[i].text), ' ') + " |";
    out += "\n";
  }
  return out;
}

// Go's encoding/csv field quoting, with `comma` as the separator.
std::string CsvField(const std::string& f, char comma) {
  bool quote = f == "\\.";
  for (char c : f) quote |= c == comma || c == '"' || c == '\r' || c == '\n';
  if (!f.empty() && (f[0] == ' ' || f[0] == '\t' || f[0] == '\n' || f[0] == '\r')) quote = true;
  if (!quote) return f;
  std::string out = "\"";
  for (char c : f) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Separated(const std::vector<std::string>& header,
                      const std::vector<std::vector<Cell>>& rows, char comma) {
  std::string out;
  auto line = [&](auto get, size_t n) {
    for (size_t i = 0; i < n; i++)
      out += (i > 0 ? std::string(1, comma) : "") + CsvField(get(i), comma);
    out += "\n";
  };
  line([&](size_t i) { return header[i]; }, header.size());
  for (const auto& r : rows) line([&](size_t i) { return r[i].text; }, r.size());
  return out;
}

}  // namespace

std::string FormatBucketLs(const std::vector<block::BucketBlock>& blocks, bool wide) {
  std::string out;
  for (const auto& b : blocks) {
    if (!Readable(b)) continue;
    out += b.id;
    if (wide) {
      const auto& m = b.meta;
      const int64_t from = m.min_time / 1000 * 1000, until = m.max_time / 1000 * 1000;
      out += " -- " + LocalRfc3339(from) + " - " + LocalRfc3339(until) +
             " Diff: " + GoFormatDuration(until - from) +
             ", Compaction: " + std::to_string(m.compaction.level) +
             ", Downsample: " + std::to_string(ResolutionOf(b)) +
             ", Source: " + (m.thanos ? m.thanos->source : "");
    }
    out += "\n";
  }
  return out;
}

const std::vector<std::string>& InspectColumns() {
  static const std::vector<std::string> kColumns = {
      "ULID",    "FROM",       "UNTIL",       "RANGE",  "UNTIL-DOWN", "#SERIES", "#SAMPLES",
      "#CHUNKS", "COMP-LEVEL", "COMP-FAILED", "LABELS", "RESOLUTION", "SOURCE"};
  return kColumns;
}

std::string FormatBucketInspect(const std::vector<block::BucketBlock>& blocks,
                                const InspectOptions& opts) {
  const auto& columns = InspectColumns();
  std::vector<size_t> keys;
  for (const auto& name : opts.sort_by) {
    auto it = std::find(columns.begin(), columns.end(), name);
    if (it != columns.end()) keys.push_back(static_cast<size_t>(it - columns.begin()));
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& b : blocks) {
    if (Readable(b)) rows.push_back(InspectRow(b));
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    for (size_t k : keys) {
      if (a[k].text == b[k].text) continue;
      return Less(a[k], b[k]);
    }
    return a[0].text < b[0].text;
  });
  if (opts.output == "csv") return Separated(columns, rows, ',');
  if (opts.output == "tsv") return Separated(columns, rows, '\t');
  return Table(columns, rows);
}

std::string SummarizeBucket(const std::vector<block::BucketBlock>& blocks,
                            double price_per_gib_month) {
  std::string out;
  std::map<int64_t, std::pair<int, int64_t>> per_resolution;  // blocks, bytes
  int64_t total = 0;
  for (const auto& b : blocks) {
    total += b.size_bytes;
    if (b.partial) {
      out += b.id + ": partial upload (no meta.json), " + HumanBytes(b.size_bytes) + "\n";
    } else if (!b.error.empty()) {
      out += b.id + ": unreadable meta.json: " + b.error + "\n";
    } else {
      auto& r = per_resolution[ResolutionOf(b)];
      r.first++;
      r.second += b.size_bytes;
    }
  }
  for (const auto& [res, v] : per_resolution) {
    out += "resolution " + GoFormatDuration(res) + ": " + std::to_string(v.first) + " blocks, " +
           HumanBytes(v.second) + "\n";
  }
  const double gib = static_cast<double>(total) / (1024.0 * 1024.0 * 1024.0);
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "total: %zu blocks, %s; estimated storage cost $%.2f/month at $%.4f per "
                "GiB-month\n",
                blocks.size(), HumanBytes(total).c_str(), gib * price_per_gib_month,
                price_per_gib_month);
  return out + buf;
}

}  // namespace strata::tools
