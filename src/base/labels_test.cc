#include "base/labels.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(LabelsTest, SortedAndLookups) {
  Labels l{{"job", "api"}, {"__name__", "up"}, {"instance", "a:1"}};
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[2].name, "job");
  EXPECT_EQ(l.Get("job"), "api");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_TRUE(l.Has("instance"));
  EXPECT_EQ(l.String(), R"({__name__="up", instance="a:1", job="api"})");
}

TEST(LabelsTest, CompareMatchesPrometheusOrder) {
  Labels a{{"a", "1"}}, b{{"a", "1"}, {"b", "1"}}, c{{"a", "2"}}, d{{"b", "0"}};
  EXPECT_LT(CompareLabels(a, b), 0);  // prefix sorts first
  EXPECT_LT(CompareLabels(b, c), 0);  // value decides before length
  EXPECT_LT(CompareLabels(c, d), 0);  // name decides first
  EXPECT_EQ(CompareLabels(b, b), 0);
}

TEST(LabelsTest, HashDistinguishesBoundaries) {
  Labels a{{"a", "bc"}}, b{{"ab", "c"}};
  EXPECT_NE(a.Hash(), b.Hash());
  EXPECT_EQ(a.Hash(), Labels({{"a", "bc"}}).Hash());
}

TEST(LabelsTest, WithAndWithout) {
  Labels l{{"a", "1"}, {"c", "3"}};
  EXPECT_EQ(l.With("b", "2").String(), R"({a="1", b="2", c="3"})");
  EXPECT_EQ(l.With("a", "9").String(), R"({a="9", c="3"})");
  EXPECT_EQ(l.With("a", "").String(), R"({c="3"})");
  EXPECT_EQ(l.Without("c").String(), R"({a="1"})");
}

TEST(LabelsTest, NameRules) {
  EXPECT_TRUE(IsValidLabelName("_a1"));
  EXPECT_FALSE(IsValidLabelName("1a"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(ValidateLabels(Labels{{"a", "x"}}).ok());
  EXPECT_FALSE(ValidateLabels(Labels::FromSorted({{"b", "1"}, {"a", "2"}})).ok());
  EXPECT_FALSE(ValidateLabels(Labels::FromSorted({{"a", ""}})).ok());
  EXPECT_FALSE(ValidateLabels(Labels::FromSorted({{"a-b", "1"}})).ok());
}

}  // namespace
}  // namespace strata
