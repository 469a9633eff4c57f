#include "textparse/openmetrics_parser.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace strata::textparse {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool EqualsFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<double> ParseGoFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsFold(body, "inf") || EqualsFold(body, "infinity")) {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (EqualsFold(body, "nan")) {
    if (s[0] == '+' || s[0] == '-') return std::nullopt;
    return std::numeric_limits<double>::quiet_NaN();
  }
  // Digits, one dot, optional exponent; no hex, no spaces (strtod would accept more).
  size_t i = 0;
  bool digits = false;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') i++, digits = true;
  if (i < body.size() && body[i] == '.') {
    i++;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') i++, digits = true;
  }
  if (!digits) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    i++;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) i++;
    bool exp_digits = false;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') i++, exp_digits = true;
    if (!exp_digits) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  std::string tmp(s);
  return std::strtod(tmp.c_str(), nullptr);
}

bool OpenMetricsParser::Fail(size_t col, std::string_view what) {
  status_ = Status::InvalidArgument("openmetrics: line " + std::to_string(line_) + ", column " +
                                    std::to_string(col + 1) + ": " + std::string(what));
  done_ = true;
  return false;
}

bool OpenMetricsParser::Next(OpenMetricsSample* out) {
  while (!done_) {
    if (pos_ >= in_.size()) {
      line_++;  // points just past the last line
      return Fail(0, "data does not end with # EOF");
    }
    size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) nl = in_.size();
    std::string_view line = in_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    line_++;
    if (line.empty()) return Fail(0, "unexpected empty line");
    if (line[0] == '#') {
      if (!ParseComment(line)) return false;
      continue;
    }
    return ParseSample(line, out);
  }
  return false;
}

bool OpenMetricsParser::ParseComment(std::string_view line) {
  if (line == "# EOF") {
    if (pos_ < in_.size()) {
      line_++;
      return Fail(0, "unexpected data after # EOF");
    }
    done_ = true;
    return false;
  }
  for (std::string_view kw : {"# HELP ", "# TYPE ", "# UNIT "}) {
    if (line.substr(0, kw.size()) != kw) continue;
    std::string_view rest = line.substr(kw.size());
    size_t i = 0;
    if (rest.empty() || !(IsNameStart(rest[0]) || rest[0] == ':')) {
      return Fail(kw.size(), "invalid metric name in metadata");
    }
    while (i < rest.size() && (IsNameChar(rest[i]) || rest[i] == ':')) i++;
    if (kw == "# TYPE ") {
      if (i >= rest.size() || rest[i] != ' ') return Fail(kw.size() + i, "expected metric type");
      std::string_view type = rest.substr(i + 1);
      static constexpr std::string_view kTypes[] = {"counter",        "gauge",   "histogram",
                                                    "gaugehistogram", "summary", "info",
                                                    "stateset",       "unknown"};
      bool ok = false;
      for (auto t : kTypes) ok = ok || t == type;
      if (!ok) return Fail(kw.size() + i + 1, "invalid metric type \"" + std::string(type) + "\"");
    }
    return true;
  }
  return Fail(0, "invalid comment: expected # HELP, # TYPE, # UNIT or # EOF");
}

bool OpenMetricsParser::ParseSample(std::string_view line, OpenMetricsSample* out) {
  size_t i = 0;
  if (!(IsNameStart(line[0]) || line[0] == ':')) return Fail(0, "invalid metric name");
  while (i < line.size() && (IsNameChar(line[i]) || line[i] == ':')) i++;
  std::vector<Label> labels;
  labels.push_back(Label{std::string(kMetricName), std::string(line.substr(0, i))});
  if (i < line.size() && line[i] == '{') {
    i++;
    while (true) {
      if (i < line.size() && line[i] == '}') {
        i++;
        break;
      }
      size_t start = i;
      if (i >= line.size() || !IsNameStart(line[i])) return Fail(i, "invalid label name");
      while (i < line.size() && IsNameChar(line[i])) i++;
      std::string name(line.substr(start, i - start));
      if (i >= line.size() || line[i] != '=') return Fail(i, "expected '=' after label name");
      i++;
      if (i >= line.size() || line[i] != '"') return Fail(i, "expected '\"' to open label value");
      i++;
      std::string value;
      while (true) {
        if (i >= line.size()) return Fail(i, "unterminated label value");
        char c = line[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i >= line.size()) return Fail(i, "unterminated escape in label value");
          char e = line[i++];
          if (e == 'n') {
            value += '\n';
          } else if (e == '\\' || e == '"') {
            value += e;
          } else {
            return Fail(i - 1, "invalid escape sequence in label value");
          }
        } else {
          value += c;
        }
      }
      for (const Label& l : labels) {
        if (l.name == name) return Fail(start, "duplicate label name \"" + name + "\"");
      }
      if (!value.empty()) labels.push_back(Label{std::move(name), std::move(value)});
      if (i < line.size() && line[i] == ',') {
        i++;
      } else if (i >= line.size() || line[i] != '}') {
        return Fail(i, "expected ',' or '}' after label value");
      }
    }
  }
  if (i >= line.size() || line[i] != ' ') return Fail(i, "expected a space before the value");
  i++;
  size_t vend = line.find(' ', i);
  std::string_view vtext = line.substr(i, vend == std::string_view::npos ? line.npos : vend - i);
  auto v = ParseGoFloat(vtext);
  if (!v) return Fail(i, "invalid value \"" + std::string(vtext) + "\"");
  out->value = *v;
  out->timestamp_ms.reset();
  if (vend != std::string_view::npos) {
    i = vend + 1;
    if (line.substr(i, 1) != "#") {
      size_t tend = line.find(' ', i);
      std::string_view ttext =
          line.substr(i, tend == std::string_view::npos ? line.npos : tend - i);
      auto ts = ParseGoFloat(ttext);
      if (!ts || std::isnan(*ts) || std::isinf(*ts)) {
        return Fail(i, "invalid timestamp \"" + std::string(ttext) + "\"");
      }
      double ms = *ts * 1000;
      if (ms >= 9.2e18 || ms <= -9.2e18) return Fail(i, "timestamp out of range");
      out->timestamp_ms = static_cast<int64_t>(ms);
      i = tend == std::string_view::npos ? line.size() : tend + 1;
    }
    // Anything left must be an exemplar ("# {...} value [ts]"), which is skipped.
    if (i < line.size() && line.substr(i, 3) != "# {") {
      return Fail(i, "unexpected text after the sample");
    }
  }
  out->labels = Labels::FromUnsorted(std::move(labels));
  return true;
}

}  // namespace strata::textparse
