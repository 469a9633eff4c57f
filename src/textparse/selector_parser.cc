#include "textparse/selector_parser.h"

#include <string>

#include "base/labels.h"

namespace strata::textparse {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

Status ParseError(size_t pos, std::string_view what) {
  return Status::InvalidArgument("1:" + std::to_string(pos + 1) +
                                 ": parse error: " + std::string(what));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

Result<std::string> UnquotePromQLString(std::string_view in, size_t* consumed) {
  if (in.empty()) return ParseError(0, "expected a string");
  char q = in[0];
  if (q != '"' && q != '\'' && q != '`') return ParseError(0, "expected a quoted string");
  std::string out;
  size_t i = 1;
  while (true) {
    if (i >= in.size()) return ParseError(i, "unterminated quoted string");
    char c = in[i++];
    if (c == q) break;
    if (q == '`' || c != '\\') {
      if (c == '\n' && q != '`') return ParseError(i - 1, "unterminated quoted string");
      out += c;
      continue;
    }
    if (i >= in.size()) return ParseError(i, "unterminated escape");
    char e = in[i++];
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
      case '\'':
        if (e != q) return ParseError(i - 1, "unknown escape sequence");
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (size_t k = 0; k < n; k++) {
          int h = i < in.size() ? HexValue(in[i]) : -1;
          if (h < 0) return ParseError(i, "invalid escape sequence");
          v = v * 16 + static_cast<uint32_t>(h);
          i++;
        }
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
            return ParseError(i, "escape sequence is an invalid Unicode code point");
          }
          AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {  // octal \NNN
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; k++) {
            if (i >= in.size() || in[i] < '0' || in[i] > '7') {
              return ParseError(i, "invalid escape sequence");
            }
            v = v * 8 + static_cast<uint32_t>(in[i++] - '0');
          }
          if (v > 255) return ParseError(i, "octal escape value > 255");
          out += static_cast<char>(v);
          break;
        }
        return ParseError(i - 1, "unknown escape sequence");
    }
  }
  *consumed = i;
  return out;
}

Result<Matchers> ParseSeriesSelector(std::string_view in) {
  Matchers ms;
  size_t i = 0;
  auto skip = [&] {
    while (i < in.size() && IsSpace(in[i])) i++;
  };
  skip();
  if (i < in.size() && (IsNameStart(in[i]) || in[i] == ':')) {
    size_t start = i;
    while (i < in.size() && (IsNameChar(in[i]) || in[i] == ':')) i++;
    STRATA_ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kEqual, std::string(kMetricName),
                                                     std::string(in.substr(start, i - start))));
    ms.push_back(std::move(m));
    skip();
  }
  if (i < in.size() && in[i] == '{') {
    i++;
    while (true) {
      skip();
      if (i < in.size() && in[i] == '}') {
        i++;
        break;
      }
      if (i >= in.size()) return ParseError(i, "unexpected end of input inside braces");
      size_t start = i;
      if (!IsNameStart(in[i]))
        return ParseError(i, "unexpected character inside braces: '" + std::string(1, in[i]) + "'");
      while (i < in.size() && IsNameChar(in[i])) i++;
      std::string name(in.substr(start, i - start));
      skip();
      MatchType type;
      std::string_view rest = in.substr(i);
      if (rest.substr(0, 2) == "=~") {
        type = MatchType::kRegexMatch;
        i += 2;
      } else if (rest.substr(0, 2) == "!~") {
        type = MatchType::kRegexNoMatch;
        i += 2;
      } else if (rest.substr(0, 2) == "!=") {
        type = MatchType::kNotEqual;
        i += 2;
      } else if (rest.substr(0, 1) == "=") {
        type = MatchType::kEqual;
        i += 1;
      } else {
        return ParseError(i, "expected label matching operator after \"" + name + "\"");
      }
      skip();
      size_t used = 0;
      auto value = UnquotePromQLString(in.substr(i), &used);
      if (!value.ok()) {
        return ParseError(i, "expected string after label matching operator");
      }
      size_t value_pos = i;
      i += used;
      auto m = Matcher::Make(type, name, std::move(*value));
      if (!m.ok()) return ParseError(value_pos, m.status().message());
      ms.push_back(std::move(*m));
      skip();
      if (i < in.size() && in[i] == ',') {
        i++;
      } else if (i >= in.size() || in[i] != '}') {
        return ParseError(i, "expected ',' or '}' after label matcher");
      }
    }
  }
  skip();
  if (i != in.size()) return ParseError(i, "unexpected character: '" + std::string(1, in[i]) + "'");
  if (ms.empty()) return ParseError(0, "expected a series selector");
  bool non_empty = false;
  for (const auto& m : ms) non_empty = non_empty || !m.Matches("");
  if (!non_empty) {
    return ParseError(0, "vector selector must contain at least one non-empty matcher");
  }
  return ms;
}

}  // namespace strata::textparse
