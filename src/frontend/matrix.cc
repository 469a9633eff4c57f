#include "frontend/matrix.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/encoding.h"
#include "frontend/util.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

using nlohmann::json;

Result<double> ParseValue(const json& v) {
  if (!v.is_string()) return Status::InvalidArgument("a sample value is not a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0')
    return Status::InvalidArgument("sample value \"" + s + "\" is not a number");
  return d;
}

Result<promql::SeriesPoints> ParseSeries(const json& s) {
  if (!s.is_object() || !s.contains("metric") || !s["metric"].is_object())
    return Status::InvalidArgument("a series has no \"metric\" object");
  std::vector<Label> labels;
  for (const auto& [k, v] : s["metric"].items()) {
    if (!v.is_string()) return Status::InvalidArgument("label " + k + " is not a string");
    labels.push_back({k, v.get<std::string>()});
  }
  promql::SeriesPoints out{Labels::FromUnsorted(std::move(labels)), {}};
  if (s.contains("histograms"))
    return Status::Unsupported("native histogram samples are not supported by the query-frontend");
  if (!s.contains("values")) return out;
  for (const auto& p : s["values"]) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number())
      return Status::InvalidArgument("a sample is not [timestamp, \"value\"]");
    STRATA_ASSIGN_OR_RETURN(double v, ParseValue(p[1]));
    out.points.push_back({std::llround(p[0].get<double>() * 1000), v});
  }
  return out;
}

}  // namespace

Result<Matrix> ParseMatrixResponse(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::InvalidArgument("the querier's answer is not a JSON object");
  if (doc.value("status", "") != "success")
    return Status::InvalidArgument("the querier's answer has status \"" + doc.value("status", "") +
                                   "\"");
  const json& data = doc["data"];
  if (!data.is_object() || data.value("resultType", "") != "matrix" || !data.contains("result") ||
      !data["result"].is_array()) {
    return Status::InvalidArgument("the querier's answer is not a matrix");
  }
  Matrix m;
  for (const auto& s : data["result"]) {
    auto series = ParseSeries(s);
    if (!series.ok()) return series.status().WithContext("the querier's answer");
    m.series.push_back(std::move(*series));
  }
  if (doc.contains("warnings") && doc["warnings"].is_array()) {
    for (const auto& w : doc["warnings"]) {
      if (w.is_string()) m.warnings.push_back(w.get<std::string>());
    }
  }
  return m;
}

std::string FormatMatrixResponse(const Matrix& m) {
  promql::QueryResult r;
  r.type = promql::ValueType::kMatrix;
  r.matrix = m.series;
  std::string body = "{\"status\":\"success\",\"data\":" + promql::FormatResultData(r);
  AppendWarnings(&body, m.warnings);
  return body + "}";
}

Matrix Extract(const Matrix& m, int64_t start_ms, int64_t end_ms) {
  Matrix out;
  out.warnings = m.warnings;
  for (const auto& s : m.series) {
    auto lo = std::lower_bound(s.points.begin(), s.points.end(), start_ms,
                               [](const promql::Point& p, int64_t t) { return p.t < t; });
    auto hi = std::upper_bound(lo, s.points.end(), end_ms,
                               [](int64_t t, const promql::Point& p) { return t < p.t; });
    if (lo == hi) continue;
    out.series.push_back({s.labels, {lo, hi}});
  }
  return out;
}

Matrix Merge(std::vector<Matrix> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  // Parts in time order (by their earliest point), so appending keeps each series sorted.
  auto first_t = [](const Matrix& m) {
    int64_t t = INT64_MAX;
    for (const auto& s : m.series) {
      if (!s.points.empty()) t = std::min(t, s.points.front().t);
    }
    return t;
  };
  std::stable_sort(parts.begin(), parts.end(),
                   [&](const Matrix& a, const Matrix& b) { return first_t(a) < first_t(b); });
  std::map<Labels, std::vector<promql::Point>> by_labels;
  Matrix out;
  for (auto& part : parts) {
    for (auto& w : part.warnings) {
      if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
        out.warnings.push_back(std::move(w));
    }
    for (auto& s : part.series) {
      auto& pts = by_labels[s.labels];
      // Overlapping points: the earlier part's are kept (as Thanos merges).
      auto from = s.points.begin();
      if (!pts.empty()) {
        from = std::upper_bound(s.points.begin(), s.points.end(), pts.back().t,
                                [](int64_t t, const promql::Point& p) { return t < p.t; });
      }
      pts.insert(pts.end(), from, s.points.end());
    }
  }
  for (auto& [labels, pts] : by_labels) {
    if (!pts.empty()) out.series.push_back({labels, std::move(pts)});
  }
  return out;
}

std::string EncodeMatrix(const Matrix& m) {
  Encoder e;
  e.PutUvarint(m.series.size());
  for (const auto& s : m.series) {
    e.PutUvarint(s.labels.size());
    for (const auto& l : s.labels) {
      e.PutUvarintStr(l.name);
      e.PutUvarintStr(l.value);
    }
    e.PutUvarint(s.points.size());
    int64_t prev = 0;
    for (const auto& p : s.points) {
      e.PutVarint(p.t - prev);
      prev = p.t;
      uint64_t bits;
      std::memcpy(&bits, &p.v, sizeof bits);
      e.PutBe64(bits);
    }
  }
  return std::move(e.buf());
}

Result<Matrix> DecodeMatrix(std::string_view data) {
  Decoder d(data);
  Matrix m;
  const uint64_t n = d.Uvarint();
  for (uint64_t i = 0; i < n && d.ok(); i++) {
    // Every label takes at least two bytes: a count beyond that is corrupt, not allocated.
    const uint64_t nl = d.Uvarint();
    if (nl > d.remaining() / 2) break;
    std::vector<Label> labels(nl);
    for (auto& l : labels) {
      if (!d.ok()) break;
      l.name = std::string(d.UvarintStr());
      l.value = std::string(d.UvarintStr());
    }
    promql::SeriesPoints s{Labels::FromSorted(std::move(labels)), {}};
    const uint64_t np = d.Uvarint();
    if (np > d.remaining() / 9) break;
    int64_t t = 0;
    for (uint64_t j = 0; j < np && d.ok(); j++) {
      t += d.Varint();
      const uint64_t bits = d.Be64();
      double v;
      std::memcpy(&v, &bits, sizeof v);
      s.points.push_back({t, v});
    }
    m.series.push_back(std::move(s));
  }
  if (!d.ok() || d.remaining() != 0 || m.series.size() != n)
    return Status::Corruption("a cached query result is truncated or malformed");
  return m;
}

}  // namespace strata::frontend
