#include "query/active_queries.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "tsdb/test_util.h"

namespace strata::query {
namespace {

TEST(ActiveQueriesTest, EntriesAreGoJsonAndFitASlot) {
  EXPECT_EQ(ActiveQueries::Entry("up{a=\"<b>\"} & 1", 7),
            R"({"query":"up{a=\"\u003cb\u003e\"} \u0026 1","timestamp_sec":7})");
  const std::string long_query(3000, '<');  // each byte escapes to six
  const std::string e = ActiveQueries::Entry(long_query, 1700000000);
  EXPECT_LT(e.size(), ActiveQueries::kSlotSize);
  EXPECT_EQ(nlohmann::json::parse(e)["timestamp_sec"], 1700000000);
  // A cut never splits a UTF-8 character.
  const std::string utf8 = std::string(960, 'a') + "\u00e9\u00e9\u00e9\u00e9";
  auto j = nlohmann::json::parse(ActiveQueries::Entry(utf8, 1));
  EXPECT_TRUE(j["query"].get<std::string>().starts_with(std::string(960, 'a')));
}

TEST(ActiveQueriesTest, RunningQueriesAreInTheFileAndLeftOnesAreReadBack) {
  tsdb::TempDir dir;
  auto aq = ActiveQueries::Open(dir.path(), 3);
  ASSERT_TRUE(aq.ok()) << aq.status().ToString();
  const int a = (*aq)->Insert("sum(rate(x[5m]))", 100);
  const int b = (*aq)->Insert("up", 101);
  const int c = (*aq)->Insert("down", 102);
  EXPECT_EQ((*aq)->Insert("one too many", 103), -1);
  (*aq)->Remove(b);
  const std::string path = dir.path() + "/queries.active";
  auto contents = ReadFile(path);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->size(), 1 + 3 * ActiveQueries::kSlotSize);
  // What a crash leaves behind: the queries still running, as a JSON array.
  auto left = nlohmann::json::parse(ActiveQueries::Unfinished(*contents));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0]["query"], "sum(rate(x[5m]))");
  EXPECT_EQ(left[1]["query"], "down");
  (*aq)->Remove(a);
  (*aq)->Remove(c);
  EXPECT_EQ(ActiveQueries::Unfinished(*ReadFile(path)), "");
  // Reopening (a restart) clears the file.
  (*aq)->Insert("left running", 104);
  aq->reset();
  auto again = ActiveQueries::Open(dir.path(), 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ActiveQueries::Unfinished(*ReadFile(path)), "");
  EXPECT_FALSE(ActiveQueries::Open(dir.path(), 0).ok());
}

}  // namespace
}  // namespace strata::query
