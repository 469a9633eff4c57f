#include "frontend/matrix.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/encoding.h"
#include "frontend/util.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

Result<double> ParseValue(const std::string& s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size())
    return Status::InvalidArgument("sample value \"" + s + "\" is not a number");
  return d;
}

// Reads a query_range answer straight into a Matrix with nlohmann's SAX interface: answers run
// to millions of samples, and a DOM of them costs more than the whole merge. Each container's
// role is worked out once when it opens, so a sample costs no key comparisons.
class MatrixSax {
 public:
  explicit MatrixSax(Matrix* m) : m_(m) {}

  bool null() { return Advance(); }
  bool boolean(bool) { return Advance(); }
  bool number_integer(int64_t v) { return Number(static_cast<double>(v)); }
  bool number_unsigned(uint64_t v) { return Number(static_cast<double>(v)); }
  bool number_float(double v, const std::string&) { return Number(v); }
  bool binary(nlohmann::json::binary_t&) { return Advance(); }
  bool string(std::string& s) {
    if (stack_.empty()) return true;  // a bare string, not an answer: Finish() says so
    Frame& f = stack_.back();
    switch (f.role) {
      case Role::kTop:
        if (f.key == "status") status_ = s;
        break;
      case Role::kData:
        if (f.key == "resultType") result_type_ = s;
        break;
      case Role::kWarnings:
        m_->warnings.push_back(s);
        break;
      case Role::kMetric:
        labels_.push_back({f.key, s});
        break;
      case Role::kPoint:
        if (f.index == 1) {
          auto v = ParseValue(s);
          if (!v.ok()) return Fail(v.status());
          point_.v = *v;
        }
        break;
      default:
        break;
    }
    return Advance();
  }
  bool start_object(size_t) { return Push(false); }
  bool start_array(size_t) { return Push(true); }
  bool key(std::string& k) {
    stack_.back().key = k;
    if (stack_.back().role == Role::kSeries && k == "histograms")
      return Fail(
          Status::Unsupported("native histogram samples are not supported by the query-frontend"));
    return true;
  }
  bool end_object() {
    if (stack_.back().role == Role::kSeries) {
      m_->series.push_back({Labels::FromUnsorted(std::move(labels_)), std::move(points_)});
      labels_.clear();
      points_.clear();
    }
    stack_.pop_back();
    return Advance();
  }
  bool end_array() {
    if (stack_.back().role == Role::kPoint) points_.push_back(point_);
    stack_.pop_back();
    return Advance();
  }
  bool parse_error(size_t pos, const std::string&, const nlohmann::detail::exception& e) {
    return Fail(Status::InvalidArgument("the querier's answer is not JSON at byte " +
                                        std::to_string(pos) + ": " + e.what()));
  }

  Status Finish() const {
    if (!error_.ok()) return error_;
    if (status_ != "success")
      return Status::InvalidArgument("the querier's answer has status \"" + status_ + "\"");
    if (result_type_ != "matrix")
      return Status::InvalidArgument("the querier's answer is not a matrix");
    return Status::OK();
  }

 private:
  // data.result[i] is a series: its metric object holds labels, its values array points.
  enum class Role { kTop, kData, kWarnings, kResult, kSeries, kMetric, kValues, kPoint, kOther };
  struct Frame {
    Role role;
    std::string key;  // objects: the current key
    size_t index;     // arrays: the current element
  };

  bool Push(bool array) {
    Role role = Role::kOther;
    if (stack_.empty()) {
      role = array ? Role::kOther : Role::kTop;
    } else {
      const Frame& p = stack_.back();
      switch (p.role) {
        case Role::kTop:
          if (!array && p.key == "data") role = Role::kData;
          if (array && p.key == "warnings") role = Role::kWarnings;
          break;
        case Role::kData:
          if (array && p.key == "result") role = Role::kResult;
          break;
        case Role::kResult:
          if (!array) role = Role::kSeries;
          break;
        case Role::kSeries:
          if (!array && p.key == "metric") role = Role::kMetric;
          if (array && p.key == "values") role = Role::kValues;
          break;
        case Role::kValues:
          if (array) role = Role::kPoint;
          break;
        default:
          break;
      }
    }
    stack_.push_back({role, "", 0});
    return true;
  }
  bool Number(double v) {
    if (!stack_.empty() && stack_.back().role == Role::kPoint && stack_.back().index == 0) {
      const std::optional<int64_t> t = AnswerTimeMs(v);
      if (!t) return Fail(Status::InvalidArgument("a timestamp is out of range"));
      point_.t = *t;
    }
    return Advance();
  }
  // One more element of the enclosing array.
  bool Advance() {
    if (!stack_.empty()) stack_.back().index++;
    return true;
  }
  bool Fail(Status st) {
    if (error_.ok()) error_ = std::move(st);
    return false;
  }

  Matrix* m_;
  std::vector<Frame> stack_;
  std::string status_, result_type_;
  std::vector<Label> labels_;
  std::vector<promql::Point> points_;
  promql::Point point_{0, 0};
  Status error_;
};

}  // namespace

Result<Matrix> ParseMatrixResponse(std::string_view body) {
  Matrix m;
  MatrixSax sax(&m);
  const bool ok = nlohmann::json::sax_parse(body, &sax);
  STRATA_RETURN_IF_ERROR(sax.Finish());
  if (!ok) return Status::InvalidArgument("the querier's answer is not JSON");
  return m;
}

std::string FormatMatrixResponse(Matrix m) {
  promql::QueryResult r;
  r.type = promql::ValueType::kMatrix;
  r.matrix = std::move(m.series);
  std::string body = "{\"status\":\"success\",\"data\":";
  promql::AppendResultData(&body, r);
  AppendWarnings(&body, m.warnings);
  body += "}";
  return body;
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
      e.PutVarint(static_cast<int64_t>(static_cast<uint64_t>(p.t) - static_cast<uint64_t>(prev)));
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
    s.points.reserve(np);
    int64_t t = 0;
    for (uint64_t j = 0; j < np && d.ok(); j++) {
      // Deltas wrap as unsigned: damaged input may not make signed arithmetic overflow.
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(d.Varint()));
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
