#include "base/go_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace strata {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length or 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  auto b0 = static_cast<unsigned char>(s[i]);
  size_t n;
  char32_t c;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    c = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    c = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    c = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return n;
}

bool IsPrintNonAscii(char32_t c) {
  if (c >= 0x80 && c <= 0xa0) return false;  // C1 controls and NBSP
  if (c == 0xad || c == 0x2028 || c == 0x2029 || c == 0xfeff) return false;
  if (c >= 0x200b && c <= 0x200f) return false;
  if (c >= 0xe000 && c <= 0xf8ff) return false;  // private use
  if ((c & 0xfffe) == 0xfffe) return false;      // noncharacters
  return true;
}

// Shortest round-trip digits and decimal exponent: v = 0.d1d2d3... * 10^dp. Built without
// allocating: query answers format millions of values.
struct Digits {
  char d[32];
  int n = 0;  // digits used
  int dp = 0;
};

Digits ShortestDigits(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  Digits out;
  const char* p = buf;
  for (; p < r.ptr && *p != 'e'; p++) {
    if (*p >= '0' && *p <= '9') out.d[out.n++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), r.ptr, exp10);
  while (out.n > 1 && out.d[out.n - 1] == '0') out.n--;
  out.dp = exp10 + 1;
  return out;
}

void AppendFixed(std::string* s, const Digits& g) {
  // Written in place into room made once (an upper bound, trimmed after): this runs once per
  // sample of an answer, and a push_back per digit was a visible part of it.
  const size_t at = s->size();
  s->resize(at + static_cast<size_t>(std::max(g.dp, 1) + 1 + std::max(g.n - g.dp, 0)));
  char* p = s->data() + at;
  if (g.dp <= 0) {
    *p++ = '0';
  } else {
    for (int i = 0; i < g.dp; i++) *p++ = i < g.n ? g.d[i] : '0';
  }
  if (g.n > g.dp) {
    *p++ = '.';
    for (int i = g.dp; i < g.n; i++) *p++ = i < 0 ? '0' : g.d[i];
  }
  s->resize(static_cast<size_t>(p - s->data()));
}

std::string FixedFromDigits(const Digits& g) {
  std::string s;
  AppendFixed(&s, g);
  return s;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    char32_t c;
    size_t n = DecodeUtf8(s, i, &c);
    if (n == 0) {
      auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      i++;
      continue;
    }
    if (n > 1) {
      if (IsPrintNonAscii(c)) {
        out.append(s.substr(i, n));
      } else {
        char buf[16];
        std::snprintf(buf, sizeof(buf), c < 0x10000 ? "\\u%04x" : "\\U%08x",
                      static_cast<unsigned>(c));
        out += buf;
      }
      i += n;
      continue;
    }
    char ch = s[i++];
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
          out += "\\x";
          out += kHex[static_cast<unsigned char>(ch) >> 4];
          out += kHex[ch & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

std::string ExponentFromDigits(const std::string& sign, const Digits& g) {
  const int exp = g.dp - 1;
  std::string s = sign;
  s += g.d[0];
  if (g.n > 1) {
    s += '.';
    s.append(g.d + 1, static_cast<size_t>(g.n - 1));
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
  return s + buf;
}

}  // namespace

std::string GoFormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string sign = std::signbit(v) ? "-" : "";
  if (v == 0) return sign + "0";
  Digits g = ShortestDigits(std::fabs(v));
  int exp = g.dp - 1;
  if (exp < -4 || exp >= 6) return ExponentFromDigits(sign, g);
  return sign + FixedFromDigits(g);
}

std::string GoFormatFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string sign = std::signbit(v) ? "-" : "";
  if (v == 0) return sign + "0e+00";
  return ExponentFromDigits(sign, ShortestDigits(std::fabs(v)));
}

std::string GoFormatFloatF(double v) {
  std::string s;
  AppendGoFloatF(&s, v);
  return s;
}

void AppendGoFloatF(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::signbit(v)) out->push_back('-');
  if (v == 0) {
    out->push_back('0');
    return;
  }
  const double a = std::fabs(v);
  if (a < 9007199254740992.0 && a == std::trunc(a)) {  // an integer below 2^53: its digits
    char buf[24];
    out->append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(a)).ptr);
    return;
  }
  AppendFixed(out, ShortestDigits(a));
}

std::string GoFormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? -static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (u < 1000) return sign + std::to_string(u) + "ms";
  std::string secs = std::to_string(u / 1000 % 60);
  if (u % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03u", static_cast<unsigned>(u % 1000));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    secs += f;
  }
  const uint64_t minutes = u / 60000 % 60, hours = u / 3600000;
  if (hours > 0)
    return sign + std::to_string(hours) + "h" + std::to_string(minutes) + "m" + secs + "s";
  if (minutes > 0) return sign + std::to_string(minutes) + "m" + secs + "s";
  return sign + secs + "s";
}

}  // namespace strata
