#include "query/file_sd.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "query/endpoints.h"
#include "tsdb/test_util.h"

namespace strata::query {
namespace {

TEST(FileSdTest, ParsesYamlAndJsonGroups) {
  auto y = ParseFileSd("- targets: ['a:1', 'b:2']\n  labels: {x: y}\n- targets: [c:3]\n", "f.yml");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(*y, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  auto j = ParseFileSd(R"([{"targets": ["dns+store:10901"]}])", "f.json");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, std::vector<std::string>{"dns+store:10901"});
  auto bad = ParseFileSd("targets: [a:1]\n", "bad.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.yml"), std::string::npos);
  EXPECT_FALSE(ParseFileSd("- targets: [unclosed\n", "x.yml").ok());
}

std::vector<std::string> Addresses(const EndpointSet& set) {
  std::vector<std::string> out;
  for (const auto& e : set.States()) out.push_back(e.address);
  return out;
}

TEST(FileSdTest, EndpointsFollowTheFileAndSurviveABrokenEdit) {
  tsdb::TempDir dir;
  const std::string path = dir.path() + "/stores.yml";
  ASSERT_TRUE(WriteFileAtomic(path, "- targets: ['127.0.0.1:1']\n").ok());
  auto set = EndpointSet::Make({}, std::chrono::milliseconds(200), {dir.path() + "/*.yml"});
  ASSERT_TRUE(set.ok());
  (*set)->Refresh();
  EXPECT_EQ(Addresses(**set), std::vector<std::string>{"127.0.0.1:1"});
  ASSERT_TRUE(WriteFileAtomic(path, "- targets: ['127.0.0.1:2', '127.0.0.1:3']\n").ok());
  (*set)->Refresh();
  EXPECT_EQ(Addresses(**set), (std::vector<std::string>{"127.0.0.1:2", "127.0.0.1:3"}));
  // A broken edit keeps the last good targets and reports the file as unavailable.
  ASSERT_TRUE(WriteFileAtomic(path, "{{{").ok());
  (*set)->Refresh();
  EXPECT_EQ(Addresses(**set), (std::vector<std::string>{"127.0.0.1:2", "127.0.0.1:3"}));
  auto sel = (*set)->Select(0, 1000, {});
  bool reported = false;
  for (const auto& u : sel.unavailable) reported |= u.find("stores.yml") != std::string::npos;
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace strata::query
