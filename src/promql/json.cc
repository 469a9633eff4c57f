#include "promql/json.h"

#include <charconv>
#include <cmath>

#include "base/go_format.h"

namespace strata::promql {

void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        case '<':
        case '>':
        case '&':
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
          break;
        default:
          if (c < 0x20) {
            *out += "\\u00";
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 15]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      i++;
      continue;
    }
    // Multi-byte UTF-8: copy valid sequences, replace invalid bytes with U+FFFD.
    int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    bool valid = len > 0 && c < 0xf5 && i + static_cast<size_t>(len) <= s.size();
    uint32_t cp = valid ? (c & (0xff >> (len + 1))) : 0;
    for (int k = 1; valid && k < len; k++) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (valid) {
      static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= kMin[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (!valid) {
      *out += "\\ufffd";
      i++;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      *out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out->append(s.data() + i, static_cast<size_t>(len));
    }
    i += static_cast<size_t>(len);
  }
  out->push_back('"');
}

void AppendJsonTimestamp(std::string* out, int64_t ms) {
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out->push_back('-');
    t = 0 - t;
  }
  char buf[24];
  char* end = std::to_chars(buf, buf + sizeof buf, t / 1000).ptr;
  if (const uint64_t frac = t % 1000; frac != 0) {
    *end++ = '.';
    *end++ = static_cast<char>('0' + frac / 100);
    *end++ = static_cast<char>('0' + frac / 10 % 10);
    *end++ = static_cast<char>('0' + frac % 10);
  }
  out->append(buf, end);
}

void AppendJsonValue(std::string* out, double v) {
  out->push_back('"');
  const double a = std::fabs(v);
  if (a != 0 && !std::isinf(a) && !std::isnan(a) && (a < 1e-6 || a >= 1e21)) {
    *out += GoFormatFloatE(v);
  } else {
    AppendGoFloatF(out, v);
  }
  out->push_back('"');
}

void AppendJsonLabels(std::string* out, const Labels& labels) {
  out->push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out->push_back(':');
    AppendJsonString(out, l.value);
  }
  out->push_back('}');
}

namespace {

void AppendPoint(std::string* out, int64_t t, double v) {
  out->push_back('[');
  AppendJsonTimestamp(out, t);
  out->push_back(',');
  AppendJsonValue(out, v);
  out->push_back(']');
}

}  // namespace

std::string FormatResultData(const QueryResult& r) {
  std::string out;
  AppendResultData(&out, r);
  return out;
}

void AppendResultData(std::string* o, const QueryResult& r) {
  std::string& out = *o;
  // Growing the string by doubling would copy each byte about twice more.
  size_t points = 0;
  for (const auto& s : r.matrix) points += s.points.size() + 4;
  out.reserve(out.size() + 64 + points * 24 + r.vector.size() * 96);
  out += "{\"resultType\":";
  switch (r.type) {
    case ValueType::kScalar:
      out += "\"scalar\",\"result\":";
      AppendPoint(&out, r.t, r.scalar);
      break;
    case ValueType::kString:
      out += "\"string\",\"result\":[";
      AppendJsonTimestamp(&out, r.t);
      out.push_back(',');
      AppendJsonString(&out, r.str);
      out.push_back(']');
      break;
    case ValueType::kVector:
      out += "\"vector\",\"result\":[";
      for (size_t i = 0; i < r.vector.size(); i++) {
        if (i > 0) out.push_back(',');
        out += "{\"metric\":";
        AppendJsonLabels(&out, r.vector[i].labels);
        out += ",\"value\":";
        AppendPoint(&out, r.vector[i].t, r.vector[i].v);
        out.push_back('}');
      }
      out.push_back(']');
      break;
    default:
      out += "\"matrix\",\"result\":[";
      for (size_t i = 0; i < r.matrix.size(); i++) {
        if (i > 0) out.push_back(',');
        out += "{\"metric\":";
        AppendJsonLabels(&out, r.matrix[i].labels);
        out += ",\"values\":[";
        for (size_t j = 0; j < r.matrix[i].points.size(); j++) {
          if (j > 0) out.push_back(',');
          AppendPoint(&out, r.matrix[i].points[j].t, r.matrix[i].points[j].v);
        }
        out += "]}";
      }
      out.push_back(']');
      break;
  }
  out.push_back('}');
}

}  // namespace strata::promql
