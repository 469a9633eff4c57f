#include "promql/lexer.h"

#include <cmath>
#include <cstdlib>

#include "base/duration.h"
#include "textparse/selector_parser.h"

namespace strata::promql {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDurationUnit(char c) {
  return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w' || c == 'y';
}

class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      while (i_ < q_.size()) {
        if (IsSpace(q_[i_])) {
          i_++;
        } else if (q_[i_] == '#') {  // comment to end of line
          while (i_ < q_.size() && q_[i_] != '\n') i_++;
        } else {
          break;
        }
      }
      if (i_ >= q_.size()) break;
      STRATA_ASSIGN_OR_RETURN(Token t, Next());
      out.push_back(std::move(t));
    }
    if (bracket_depth_ > 0)
      return ParseError(q_, static_cast<int>(q_.size()), "unclosed left bracket");
    if (brace_depth_ > 0)
      return ParseError(q_, static_cast<int>(q_.size()), "unexpected end of input inside braces");
    if (paren_depth_ > 0)
      return ParseError(q_, static_cast<int>(q_.size()), "unclosed left parenthesis");
    Token eof;
    eof.pos = eof.end = static_cast<int>(q_.size());
    out.push_back(eof);
    return out;
  }

 private:
  Token Make(Tok k, size_t start) {
    Token t;
    t.kind = k;
    t.pos = static_cast<int>(start);
    t.end = static_cast<int>(i_);
    t.text = std::string(q_.substr(start, i_ - start));
    return t;
  }
  Status Error(size_t pos, std::string_view msg) {
    return ParseError(q_, static_cast<int>(pos), msg);
  }

  Result<Token> Next() {
    const size_t start = i_;
    const char c = q_[i_];
    auto two = [&](char second) { return i_ + 1 < q_.size() && q_[i_ + 1] == second; };
    auto op = [&](Tok k, size_t len) {
      i_ += len;
      return Make(k, start);
    };
    switch (c) {
      case '(':
        paren_depth_++;
        return op(Tok::kLParen, 1);
      case ')':
        if (--paren_depth_ < 0) return Error(start, "unexpected right parenthesis ')'");
        return op(Tok::kRParen, 1);
      case '{':
        if (brace_depth_ > 0) return Error(start, "unexpected left brace '{'");
        brace_depth_++;
        return op(Tok::kLBrace, 1);
      case '}':
        if (--brace_depth_ < 0) return Error(start, "unexpected right brace '}'");
        return op(Tok::kRBrace, 1);
      case '[':
        if (bracket_depth_ > 0) return Error(start, "unexpected left bracket '['");
        bracket_depth_++;
        return op(Tok::kLBracket, 1);
      case ']':
        if (--bracket_depth_ < 0) return Error(start, "unexpected right bracket ']'");
        return op(Tok::kRBracket, 1);
      case ',':
        return op(Tok::kComma, 1);
      case '@':
        return op(Tok::kAt, 1);
      case '+':
        return op(Tok::kAdd, 1);
      case '-':
        return op(Tok::kSub, 1);
      case '*':
        return op(Tok::kMul, 1);
      case '/':
        return op(Tok::kDiv, 1);
      case '%':
        return op(Tok::kMod, 1);
      case '^':
        return op(Tok::kPow, 1);
      case '=':
        if (two('=')) return op(Tok::kEql, 2);
        if (two('~')) return op(Tok::kEqlRegex, 2);
        return op(Tok::kAssign, 1);
      case '!':
        if (two('=')) return op(Tok::kNeq, 2);
        if (two('~')) return op(Tok::kNeqRegex, 2);
        return Error(start, "unexpected character after '!': " + std::string(q_.substr(i_ + 1, 1)));
      case '<':
        if (two('=')) return op(Tok::kLte, 2);
        return op(Tok::kLss, 1);
      case '>':
        if (two('=')) return op(Tok::kGte, 2);
        return op(Tok::kGtr, 1);
      case '"':
      case '\'':
      case '`':
        return String(start);
      default:
        break;
    }
    if (c == ':') {
      // Inside brackets a colon separates subquery range and step; elsewhere it starts a
      // metric name such as :recording:rule.
      if (bracket_depth_ > 0) return op(Tok::kColon, 1);
      return Identifier(start);
    }
    if (IsDigit(c) || (c == '.' && i_ + 1 < q_.size() && IsDigit(q_[i_ + 1])))
      return NumberOrDuration(start);
    if (IsAlpha(c)) return Identifier(start);
    return Error(start, "unexpected character: " + std::string(q_.substr(start, 1)));
  }

  Result<Token> Identifier(size_t start) {
    while (i_ < q_.size() && (IsAlnum(q_[i_]) || q_[i_] == ':')) i_++;
    Token t = Make(Tok::kIdent, start);
    std::string lower;
    for (char ch : t.text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "inf" || lower == "nan") {
      t.kind = Tok::kNumber;
      t.number = lower == "inf" ? HUGE_VAL : std::nan("");
    }
    return t;
  }

  Result<Token> NumberOrDuration(size_t start) {
    // A duration is one or more <digits><unit> groups (units ms, s, m, h, d, w, y).
    size_t j = i_;
    bool duration = false;
    while (j < q_.size() && IsDigit(q_[j])) {
      size_t k = j;
      while (k < q_.size() && IsDigit(q_[k])) k++;
      if (k < q_.size() && IsDurationUnit(q_[k])) {
        k += (q_[k] == 'm' && k + 1 < q_.size() && q_[k + 1] == 's') ? 2 : 1;
        duration = true;
        j = k;
      } else {
        break;
      }
    }
    if (duration && (j >= q_.size() || !IsAlnum(q_[j]))) {
      i_ = j;
      Token t = Make(Tok::kDuration, start);
      auto d = ParseDuration(t.text);
      if (!d.ok()) return Error(start, "bad duration syntax: \"" + t.text + "\"");
      t.duration = *d;
      return t;
    }
    // Numbers: decimal or hex integers, decimals, exponents (Go's ParseFloat syntax).
    const char* begin = q_.data() + start;
    if (q_.substr(start, 2) == "0x" || q_.substr(start, 2) == "0X") {
      i_ = start + 2;
      while (i_ < q_.size() && std::isxdigit(static_cast<unsigned char>(q_[i_]))) i_++;
    } else {
      while (i_ < q_.size() && IsDigit(q_[i_])) i_++;
      if (i_ < q_.size() && q_[i_] == '.') {
        i_++;
        while (i_ < q_.size() && IsDigit(q_[i_])) i_++;
      }
      if (i_ < q_.size() && (q_[i_] == 'e' || q_[i_] == 'E')) {
        size_t k = i_ + 1;
        if (k < q_.size() && (q_[k] == '+' || q_[k] == '-')) k++;
        if (k < q_.size() && IsDigit(q_[k])) {
          i_ = k;
          while (i_ < q_.size() && IsDigit(q_[i_])) i_++;
        }
      }
    }
    if (i_ < q_.size() && (IsAlnum(q_[i_]) || q_[i_] == '.')) {
      while (i_ < q_.size() && (IsAlnum(q_[i_]) || q_[i_] == '.')) i_++;
      return Error(start, "bad number or duration syntax: \"" +
                              std::string(q_.substr(start, i_ - start)) + "\"");
    }
    Token t = Make(Tok::kNumber, start);
    std::string text(begin, i_ - start);
    if (text.size() > 2 && (text[1] == 'x' || text[1] == 'X')) {
      t.number = static_cast<double>(std::strtoull(text.c_str() + 2, nullptr, 16));
    } else {
      t.number = std::strtod(text.c_str(), nullptr);
    }
    return t;
  }

  Result<Token> String(size_t start) {
    size_t consumed = 0;
    auto v = textparse::UnquotePromQLString(q_.substr(start), &consumed);
    if (!v.ok()) {
      // Reuse the unquoting error's text without its own position prefix.
      std::string msg = v.status().message();
      size_t p = msg.find("parse error: ");
      return Error(start, p == std::string::npos ? msg : msg.substr(p + 13));
    }
    i_ = start + consumed;
    Token t = Make(Tok::kString, start);
    t.text = std::move(*v);
    return t;
  }

  std::string_view q_;
  size_t i_ = 0;
  int paren_depth_ = 0, brace_depth_ = 0, bracket_depth_ = 0;
};

}  // namespace

Status ParseError(std::string_view query, int pos, std::string_view msg) {
  int line = 1, last_break = -1;
  for (int i = 0; i < pos && i < static_cast<int>(query.size()); i++) {
    if (query[i] == '\n') {
      line++;
      last_break = i;
    }
  }
  return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(pos - last_break) +
                                 ": parse error: " + std::string(msg));
}

Result<std::vector<Token>> Lex(std::string_view query) { return Lexer(query).Run(); }

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case Tok::kEOF:
      return "end of input";
    case Tok::kIdent:
      return "identifier \"" + t.text + "\"";
    case Tok::kNumber:
      return "number \"" + t.text + "\"";
    case Tok::kDuration:
      return "duration \"" + t.text + "\"";
    case Tok::kString:
      return "string";
    default:
      return "\"" + t.text + "\"";
  }
}

}  // namespace strata::promql
