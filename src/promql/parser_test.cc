#include "promql/parser.h"

#include <gtest/gtest.h>

namespace strata::promql {
namespace {

std::string Roundtrip(const std::string& q) {
  auto e = ParseExpr(q);
  if (!e.ok()) return "ERROR " + e.status().message();
  return (*e)->String();
}

std::string ErrorOf(const std::string& q) {
  auto e = ParseExpr(q);
  return e.ok() ? "no error" : e.status().message();
}

TEST(ParserTest, PrintsLikePrometheus) {
  EXPECT_EQ(Roundtrip("foo"), "foo");
  EXPECT_EQ(Roundtrip(R"(foo{job="a",  env=~"p.*"})"), R"(foo{env=~"p.*",job="a"})");
  EXPECT_EQ(Roundtrip(R"({__name__="foo"})"), R"({__name__="foo"})");
  EXPECT_EQ(Roundtrip("rate(foo[5m])"), "rate(foo[5m])");
  EXPECT_EQ(Roundtrip("rate(foo[1h30m] offset -5m @ 100)"),
            "rate(foo[1h30m] @ 100.000 offset -5m)");
  EXPECT_EQ(Roundtrip("foo @ start() offset 1d"), "foo @ start() offset 1d");
  EXPECT_EQ(Roundtrip("sum(foo) by (a,b)"), "sum by (a, b) (foo)");
  EXPECT_EQ(Roundtrip("SUM WITHOUT(a) (foo)"), "sum without (a) (foo)");
  EXPECT_EQ(Roundtrip("topk(3, foo)"), "topk(3, foo)");
  EXPECT_EQ(Roundtrip("count_values(\"v\", foo)"), "count_values(\"v\", foo)");
  EXPECT_EQ(Roundtrip("a + on(b) group_left(c) d"), "a + on (b) group_left (c) d");
  EXPECT_EQ(Roundtrip("a > bool ignoring(x) b"), "a > bool ignoring (x) b");
  EXPECT_EQ(Roundtrip("max_over_time(rate(foo[5m])[30m:1m])"),
            "max_over_time(rate(foo[5m])[30m:1m])");
  EXPECT_EQ(Roundtrip("foo[5m:]"), "foo[5m:]");
  EXPECT_EQ(Roundtrip("1e6"), "1e+06");
  EXPECT_EQ(Roundtrip("0x1F"), "31");
  EXPECT_EQ(Roundtrip("-Inf"), "-Inf");
  EXPECT_EQ(Roundtrip("nan"), "NaN");
  EXPECT_EQ(Roundtrip("'a\\'b' # comment"), "\"a'b\"");
  EXPECT_EQ(Roundtrip("job:rate5m:sum"), "job:rate5m:sum");
  EXPECT_EQ(Roundtrip("foo{on=\"x\", by=\"y\"}"), "foo{by=\"y\",on=\"x\"}");
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  auto structure = [](const std::string& q) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    std::function<std::string(const Expr*)> s = [&](const Expr* x) -> std::string {
      if (x->kind == Expr::Kind::kBinary) {
        auto* b = static_cast<const BinaryExpr*>(x);
        return "(" + s(b->lhs.get()) + " " + BinOpString(b->op) + " " + s(b->rhs.get()) + ")";
      }
      if (x->kind == Expr::Kind::kUnary)
        return "(-" + s(static_cast<const UnaryExpr*>(x)->expr.get()) + ")";
      return x->String();
    };
    return s(e->get());
  };
  EXPECT_EQ(structure("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(structure("1 - 2 - 3"), "((1 - 2) - 3)");
  EXPECT_EQ(structure("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(structure("-a ^ 2"), "(-(a ^ 2))");
  EXPECT_EQ(structure("-a * 2"), "((-a) * 2)");
  EXPECT_EQ(structure("-1 ^ 2"), "(-(1 ^ 2))");
  EXPECT_EQ(structure("a or b and c unless d"), "(a or ((b and c) unless d))");
  EXPECT_EQ(structure("a == bool 1 + 2"), "(a == (1 + 2))");
  EXPECT_EQ(structure("a atan2 b * c"), "((a atan2 b) * c)");
}

TEST(ParserTest, ErrorsCarryPositionAndReason) {
  EXPECT_EQ(ErrorOf(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ErrorOf("foo{"), "1:5: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ErrorOf("sum(foo"), "1:8: parse error: unclosed left parenthesis");
  EXPECT_EQ(ErrorOf("{}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(ErrorOf("{x=\"\"}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(ErrorOf("foo{__name__=\"bar\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  EXPECT_EQ(ErrorOf("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(ErrorOf("nosuch(foo)"), "1:1: parse error: unknown function with name \"nosuch\"");
  EXPECT_EQ(ErrorOf("1 > 2"),
            "1:1: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(ErrorOf("foo and 1"),
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(ErrorOf("foo + bool bar"),
            "1:1: parse error: bool modifier can only be used on comparison operators");
  EXPECT_EQ(ErrorOf("(foo)[5m]"), "1:1: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ErrorOf("sum(foo) offset 5m"),
            "1:10: parse error: offset modifier must be preceded by an instant vector selector or "
            "range vector "
            "selector or a subquery");
  EXPECT_EQ(ErrorOf("foo offset 5m offset 1m"),
            "1:15: parse error: offset may not be set multiple times");
  EXPECT_EQ(ErrorOf("topk(foo)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 2, got 1");
  EXPECT_EQ(ErrorOf("round(foo, 1, 2)"),
            "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
  EXPECT_EQ(ErrorOf("label_join(foo, \"a\")"),
            "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 2");
  EXPECT_EQ(ErrorOf("foo{a=~\"(\"}"), ErrorOf("foo{a=~\"(\"}"));  // deterministic
  EXPECT_NE(ErrorOf("foo{a=~\"(\"}").find("1:8: parse error:"), std::string::npos);
  EXPECT_EQ(ErrorOf("foo and on(a) group_left bar"),
            "1:1: parse error: no grouping allowed for \"and\" operation");
  EXPECT_EQ(ErrorOf("foo + on(a) group_left(a) bar"),
            "1:1: parse error: label \"a\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(ErrorOf("1 + on(a) 2"),
            "1:1: parse error: vector matching only allowed between instant vectors");
  EXPECT_EQ(ErrorOf("-\"a\""),
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            "instant vector, got \"string\"");
  EXPECT_EQ(
      ErrorOf("1[5m:1m]"),
      "1:1: parse error: subquery is only allowed on instant vector, got scalar in \"1\" instead");
  EXPECT_EQ(ErrorOf("foo 1"), "1:5: parse error: unexpected number \"1\"");
  EXPECT_EQ(ErrorOf("foo\n  bar"), "2:3: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(ErrorOf("1.2.3"), "1:1: parse error: bad number or duration syntax: \"1.2.3\"");
  EXPECT_EQ(ErrorOf("foo @ end"),
            "1:10: parse error: unexpected end of input in @, expected \"()\"");
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string q(100000, '(');
  q += "1";
  q += std::string(100000, ')');
  EXPECT_NE(ErrorOf(q).find("nested too deeply"), std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 100000; i++) chain += "+1";
  EXPECT_NE(ErrorOf(chain).find("nested too deeply"), std::string::npos);
  EXPECT_EQ(ErrorOf("1" + std::string(50, '+') + "1"), "no error");
  std::string neg(100000, '-');
  EXPECT_NE(ErrorOf(neg + "1").find("nested too deeply"), std::string::npos);
}

TEST(ParserTest, MetricSelector) {
  auto ms = ParseMetricSelector("up{job=\"a\"}");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->size(), 2u);
  EXPECT_FALSE(ParseMetricSelector("sum(up)").ok());
}

}  // namespace
}  // namespace strata::promql
