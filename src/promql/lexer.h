// PromQL tokens. The lexer runs over the whole query once; the parser then walks the tokens.
// Keywords are lexed as identifiers and recognised by the parser, because the same words are
// valid label names inside braces and grouping clauses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace strata::promql {

enum class Tok {
  kEOF,
  kIdent,
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAssign,  // '=' in label matchers
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEql,
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
  kEqlRegex,
  kNeqRegex,
};

struct Token {
  Tok kind = Tok::kEOF;
  int pos = 0;           // byte offset of the first character
  int end = 0;           // byte offset after the last character
  std::string text;      // source text; for kString the unquoted value
  double number = 0;     // kNumber
  int64_t duration = 0;  // kDuration, in ms
};

// "1:5: parse error: <msg>" with line and column computed from the byte offset, as Prometheus
// prints them.
Status ParseError(std::string_view query, int pos, std::string_view msg);

// Tokenizes the query; the last token is kEOF.
Result<std::vector<Token>> Lex(std::string_view query);

// How a token is named in "unexpected ..." messages.
std::string DescribeToken(const Token& t);

}  // namespace strata::promql
