#include "base/matcher.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

Matcher M(MatchType t, const char* name, const char* value) {
  auto m = Matcher::Make(t, name, value);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(MatcherTest, EqualityAndInequality) {
  EXPECT_TRUE(M(MatchType::kEqual, "a", "x").Matches("x"));
  EXPECT_FALSE(M(MatchType::kEqual, "a", "x").Matches("xy"));
  EXPECT_TRUE(M(MatchType::kNotEqual, "a", "x").Matches(""));
  EXPECT_TRUE(M(MatchType::kEqual, "a", "").Matches(""));
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  Matcher m = M(MatchType::kRegexMatch, "a", "fo+");
  EXPECT_TRUE(m.Matches("foo"));
  EXPECT_FALSE(m.Matches("xfoo"));
  EXPECT_FALSE(m.Matches("foox"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "a|b").Matches("b"));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a", "a|b").Matches("ab"));
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "a", "fo+").Matches("bar"));
  EXPECT_FALSE(M(MatchType::kRegexNoMatch, "a", "fo+").Matches("fooo"));
}

TEST(MatcherTest, FastPathsAgreeWithRegex) {
  Matcher set = M(MatchType::kRegexMatch, "a", "prod|dev|staging");
  EXPECT_EQ(set.SetMatches(), (std::vector<std::string>{"dev", "prod", "staging"}));
  EXPECT_TRUE(set.Matches("dev"));
  EXPECT_FALSE(set.Matches("de"));
  Matcher prefix = M(MatchType::kRegexMatch, "a", "api.*");
  EXPECT_TRUE(prefix.SetMatches().empty());
  EXPECT_TRUE(prefix.Matches("api"));
  EXPECT_TRUE(prefix.Matches("api-server\nx"));  // dot matches newline as in Prometheus 2.53
  EXPECT_FALSE(prefix.Matches("ap"));
  Matcher optional = M(MatchType::kRegexMatch, "a", "ab?c");
  EXPECT_TRUE(optional.Matches("ac"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", ".*").Matches(""));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "").Matches(""));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a", "").Matches("x"));
}

TEST(MatcherTest, InvalidRegexIsAnError) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "a", "(unclosed");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("(unclosed"), std::string::npos);
  // Backreferences are not RE2 syntax: rejected, never run with exponential time.
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexMatch, "a", "(a)\\1").ok());
}

TEST(MatcherTest, StringForm) {
  EXPECT_EQ(M(MatchType::kRegexNoMatch, "job", "a\"b").String(), R"(job!~"a\"b")");
  EXPECT_EQ(MatchersString({M(MatchType::kEqual, "a", "1"), M(MatchType::kNotEqual, "b", "2")}),
            R"({a="1", b!="2"})");
}

}  // namespace
}  // namespace strata
