#include "promql/json.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::promql {
namespace {

TEST(JsonTest, FormatsLikePrometheus) {
  std::string s;
  AppendJsonValue(&s, 1);
  AppendJsonValue(&s, 0.1);
  AppendJsonValue(&s, 1e-7);
  AppendJsonValue(&s, 1e21);
  AppendJsonValue(&s, 123456789012.5);
  AppendJsonValue(&s, NAN);
  AppendJsonValue(&s, -HUGE_VAL);
  AppendJsonValue(&s, -0.0);
  EXPECT_EQ(s, R"("1""0.1""1e-07""1e+21""123456789012.5""NaN""-Inf""-0")");
  s.clear();
  AppendJsonTimestamp(&s, 1435781451781);
  s += ' ';
  AppendJsonTimestamp(&s, 1500);
  s += ' ';
  AppendJsonTimestamp(&s, 1000);
  s += ' ';
  AppendJsonTimestamp(&s, -1005);
  EXPECT_EQ(s, "1435781451.781 1.500 1 -1.005");
  s.clear();
  AppendJsonString(&s, "a\"b\\c\n<&>\x01\xff\u2028é");
  EXPECT_EQ(s, R"("a\"b\\c\n\u003c\u0026\u003e\u0001\ufffd\u2028é")");
}

TEST(JsonTest, ResultShapes) {
  QueryResult r;
  r.type = ValueType::kVector;
  r.vector.push_back({Labels{{"__name__", "up"}, {"job", "a"}}, 1000, 1});
  EXPECT_EQ(
      FormatResultData(r),
      R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]}]})");
  r.type = ValueType::kMatrix;
  r.matrix.push_back({Labels{{"job", "a"}}, {{1000, 1}, {2000, 2.5}}});
  EXPECT_EQ(
      FormatResultData(r),
      R"({"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1,"1"],[2,"2.5"]]}]})");
  r.type = ValueType::kScalar;
  r.t = 1500;
  r.scalar = 2;
  EXPECT_EQ(FormatResultData(r), R"({"resultType":"scalar","result":[1.500,"2"]})");
  r.type = ValueType::kString;
  r.str = "x";
  EXPECT_EQ(FormatResultData(r), R"({"resultType":"string","result":[1.500,"x"]})");
}

}  // namespace
}  // namespace strata::promql
