#include "frontend/matrix.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "base/encoding.h"
#include "frontend/util.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {}  // namespace

bool IsNumberText(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit && (c == '\0' || std::strchr("+-.eEInfNa", c) == nullptr)) return false;
  }
  return true;
}

namespace {

// Reads a query_range answer into a Matrix with simdjson: answers run to megabytes, and
// nlohmann's lexer (about 120 MB/s) was most of the frontend's CPU on a split query. Its DOM API
// picks the CPU's fastest kernels at run time (the On-Demand API is fixed at build time). Unknown
// members are skipped, as a Prometheus client skips them.
class AnswerReader {
 public:
  Result<Matrix> Read(std::string_view body, simdjson::dom::parser& parser) {
    const simdjson::padded_string padded(body);
    simdjson::dom::object top;
    if (auto e = parser.parse(padded).get(top); e) return Error(e);
    Matrix m;
    std::string_view status, type;
    for (auto [key, v] : top) {
      if (key == "status") {
        STRATA_RETURN_IF_ERROR(Check(v.get_string().get(status)));
      } else if (key == "data") {
        STRATA_RETURN_IF_ERROR(Data(v, &m, &type));
      } else if (key == "warnings") {
        simdjson::dom::array warnings;
        STRATA_RETURN_IF_ERROR(Check(v.get_array().get(warnings)));
        for (auto w : warnings) {
          std::string_view text;
          STRATA_RETURN_IF_ERROR(Check(w.get_string().get(text)));
          m.warnings.emplace_back(text);
        }
      }
    }
    if (status != "success")
      return Status::InvalidArgument("the querier's answer has status \"" + std::string(status) +
                                     "\"");
    if (type != "matrix") return Status::InvalidArgument("the querier's answer is not a matrix");
    return m;
  }

 private:
  static Status Data(simdjson::dom::element v, Matrix* m, std::string_view* type) {
    simdjson::dom::object data;
    simdjson::dom::array result;
    STRATA_RETURN_IF_ERROR(Check(v.get_object().get(data)));
    STRATA_RETURN_IF_ERROR(Check(data["resultType"].get_string().get(*type)));
    if (*type != "matrix") return Status::OK();
    STRATA_RETURN_IF_ERROR(Check(data["result"].get_array().get(result)));
    m->series.reserve(result.size());
    for (auto series : result) STRATA_RETURN_IF_ERROR(Series(series, &m->series.emplace_back()));
    return Status::OK();
  }

  static Status Series(simdjson::dom::element v, MatrixSeries* out) {
    simdjson::dom::object series;
    STRATA_RETURN_IF_ERROR(Check(v.get_object().get(series)));
    if (series["histograms"].error() == simdjson::SUCCESS)
      return Status::Unsupported(
          "native histogram samples are not supported by the query-frontend");
    simdjson::dom::object metric;
    STRATA_RETURN_IF_ERROR(Check(series["metric"].get_object().get(metric)));
    std::vector<Label> labels;
    labels.reserve(metric.size());
    for (auto [name, value] : metric) {
      std::string_view text;
      STRATA_RETURN_IF_ERROR(Check(value.get_string().get(text)));
      labels.push_back({std::string(name), std::string(text)});
    }
    out->labels = Labels::FromUnsorted(std::move(labels));
    simdjson::dom::array values;
    if (series["values"].error() == simdjson::NO_SUCH_FIELD) return Status::OK();
    STRATA_RETURN_IF_ERROR(Check(series["values"].get_array().get(values)));
    for (auto point : values) STRATA_RETURN_IF_ERROR(Point(point, out));
    return Status::OK();
  }

  // [<seconds>, "<value>"]
  static Status Point(simdjson::dom::element v, MatrixSeries* out) {
    simdjson::dom::array point;
    STRATA_RETURN_IF_ERROR(Check(v.get_array().get(point)));
    double seconds = 0;
    std::string_view value;
    if (point.size() != 2 || point.at(0).get_double().get(seconds) != simdjson::SUCCESS ||
        point.at(1).get_string().get(value) != simdjson::SUCCESS) {
      return Status::InvalidArgument("a point of the querier's answer is not [time, \"value\"]");
    }
    const std::optional<int64_t> t = AnswerTimeMs(seconds);
    if (!t) return Status::InvalidArgument("a timestamp is out of range");
    if (!IsNumberText(value))
      return Status::InvalidArgument("sample value \"" + std::string(value) + "\" is not a number");
    out->Add(*t, value);
    return Status::OK();
  }

  static Status Check(simdjson::error_code e) { return e ? Error(e) : Status::OK(); }
  static Status Error(simdjson::error_code e) {
    return Status::InvalidArgument(std::string("the querier's answer is not a valid answer: ") +
                                   simdjson::error_message(e));
  }
};

}  // namespace

Result<Matrix> ParseMatrixResponse(std::string_view body) {
  // A parser keeps the buffers of the largest answer it has read. One per thread saves their
  // allocation per answer; after a large answer they are given back, so a rare huge answer does
  // not stay pinned on every thread that once parsed one.
  constexpr size_t kKeptCapacity = 8 << 20;
  thread_local simdjson::dom::parser parser;
  Result<Matrix> m = AnswerReader().Read(body, parser);
  if (parser.capacity() > kKeptCapacity) parser = simdjson::dom::parser();
  return m;
}

void AppendMatrixData(std::string* o, const Matrix& m) {
  std::string& out = *o;
  size_t bytes = 64;
  for (const auto& s : m.series) bytes += 64 + s.size() * 24;
  out.reserve(out.size() + bytes);
  out += "{\"resultType\":\"matrix\",\"result\":[";
  for (size_t i = 0; i < m.series.size(); i++) {
    const MatrixSeries& s = m.series[i];
    if (i > 0) out.push_back(',');
    out += "{\"metric\":";
    promql::AppendJsonLabels(&out, s.labels);
    out += ",\"values\":";
    s.AppendValuesJson(&out);
    out.push_back('}');
  }
  out += "]}";
}

std::string FormatMatrixResponse(const Matrix& m) {
  std::string body = "{\"status\":\"success\",\"data\":";
  AppendMatrixData(&body, m);
  AppendWarnings(&body, m.warnings);
  body += "}";
  return body;
}

size_t MatrixSeries::LowerBound(int64_t ms) const {
  return static_cast<size_t>(std::lower_bound(t_.begin(), t_.end(), ms) - t_.begin());
}

std::string_view MatrixSeries::value(size_t i) const {
  const size_t from = i == 0 ? 0 : end_[i - 1];
  const std::string_view point = std::string_view(text_).substr(from, end_[i] - from);
  const size_t quote = point.find('"');
  return point.substr(quote + 1, point.size() - quote - 3);  // up to the closing "]
}

void MatrixSeries::Add(int64_t t, std::string_view value) {
  t_.push_back(t);
  text_ += ",[";
  promql::AppendJsonTimestamp(&text_, t);
  text_ += ",\"";
  text_ += value;
  text_ += "\"]";
  end_.push_back(text_.size());
}

void MatrixSeries::Append(const MatrixSeries& other, size_t from, size_t to) {
  if (from >= to) return;
  const size_t base = from == 0 ? 0 : other.end_[from - 1];
  const size_t shift = text_.size();
  t_.insert(t_.end(), other.t_.begin() + from, other.t_.begin() + to);
  text_.append(other.text_, base, other.end_[to - 1] - base);
  for (size_t i = from; i < to; i++) end_.push_back(other.end_[i] - base + shift);
}

void MatrixSeries::AppendValuesJson(std::string* out) const {
  out->push_back('[');
  if (!text_.empty()) out->append(text_, 1);  // without the first point's comma
  out->push_back(']');
}

Matrix Extract(const Matrix& m, int64_t start_ms, int64_t end_ms) {
  Matrix out;
  out.warnings = m.warnings;
  for (const auto& s : m.series) {
    const size_t lo = s.LowerBound(start_ms);
    const size_t hi = end_ms == INT64_MAX ? s.size() : s.LowerBound(end_ms + 1);
    if (lo >= hi) continue;
    out.series.emplace_back(s.labels);
    out.series.back().Append(s, lo, hi);
  }
  return out;
}

Matrix Merge(std::vector<Matrix> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  // Parts in time order (by their earliest point), so appending keeps each series sorted.
  auto first_t = [](const Matrix& m) {
    int64_t t = INT64_MAX;
    for (const auto& s : m.series) {
      if (!s.empty()) t = std::min(t, s.t(0));
    }
    return t;
  };
  std::stable_sort(parts.begin(), parts.end(),
                   [&](const Matrix& a, const Matrix& b) { return first_t(a) < first_t(b); });
  std::map<Labels, MatrixSeries> by_labels;
  Matrix out;
  for (auto& part : parts) {
    for (auto& w : part.warnings) {
      if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
        out.warnings.push_back(std::move(w));
    }
    for (auto& s : part.series) {
      auto [it, fresh] = by_labels.try_emplace(s.labels);
      MatrixSeries& dst = it->second;
      if (fresh) {
        dst = std::move(s);
        continue;
      }
      // Overlapping points: the earlier part's are kept (as Thanos merges).
      size_t from = 0;
      if (!dst.empty()) {
        const int64_t last = dst.t(dst.size() - 1);
        from = last == INT64_MAX ? s.size() : s.LowerBound(last + 1);
      }
      dst.Append(s, from, s.size());
    }
  }
  for (auto& [labels, s] : by_labels) {
    if (!s.empty()) out.series.push_back(std::move(s));
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
    e.PutUvarint(s.size());
    int64_t prev_t = 0;
    size_t prev_end = 0;
    for (size_t i = 0; i < s.size(); i++) {
      e.PutVarint(
          static_cast<int64_t>(static_cast<uint64_t>(s.t_[i]) - static_cast<uint64_t>(prev_t)));
      e.PutUvarint(s.end_[i] - prev_end);
      prev_t = s.t_[i];
      prev_end = s.end_[i];
    }
    e.PutBytes(s.text_);
  }
  return std::move(e.buf());
}

namespace {

// `,[<seconds>,"<value>"]` with the value a number's text: a damaged cache entry must not put
// broken JSON into an answer.
bool IsPointText(std::string_view p) {
  if (p.size() < 8 || !p.starts_with(",[") || !p.ends_with("\"]")) return false;
  const size_t comma = p.find(",\"", 2);
  if (comma == std::string_view::npos || comma == 2) return false;
  for (char c : p.substr(2, comma - 2)) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return IsNumberText(p.substr(comma + 2, p.size() - comma - 4));
}

}  // namespace

Result<Matrix> DecodeMatrix(std::string_view data) {
  const Status damaged = Status::Corruption("a cached query result is truncated or malformed");
  Decoder d(data);
  Matrix m;
  const uint64_t n = d.Uvarint();
  for (uint64_t i = 0; i < n && d.ok(); i++) {
    // Every label takes at least two bytes: a count beyond that is corrupt, not allocated.
    const uint64_t nl = d.Uvarint();
    if (nl > d.remaining() / 2) return damaged;
    std::vector<Label> labels(nl);
    for (auto& l : labels) {
      l.name = std::string(d.UvarintStr());
      l.value = std::string(d.UvarintStr());
    }
    MatrixSeries s(Labels::FromSorted(std::move(labels)));
    const uint64_t np = d.Uvarint();
    if (np > d.remaining() / 10) return damaged;  // a point takes at least ten bytes
    s.t_.reserve(np);
    s.end_.reserve(np);
    int64_t t = 0;
    size_t end = 0;
    for (uint64_t j = 0; j < np && d.ok(); j++) {
      // Deltas wrap as unsigned: damaged input may not make signed arithmetic overflow.
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(d.Varint()));
      end += d.Uvarint();
      s.t_.push_back(t);
      s.end_.push_back(end);
    }
    if (!d.ok() || end > d.remaining()) return damaged;
    s.text_ = std::string(d.Bytes(end));
    for (size_t j = 0, from = 0; j < s.end_.size(); from = s.end_[j++]) {
      if (s.end_[j] < from ||
          !IsPointText(std::string_view(s.text_).substr(from, s.end_[j] - from)))
        return damaged;
    }
    m.series.push_back(std::move(s));
  }
  if (!d.ok() || d.remaining() != 0 || m.series.size() != n) return damaged;
  return m;
}

}  // namespace strata::frontend
