// The block viewer's API over a FILESYSTEM bucket: the list as set, refresh errors, marks.
#include "ui/blocks_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/ulid.h"
#include "objstore/filesystem.h"
#include "server/http_server.h"

namespace strata::ui {
namespace {

namespace fs = std::filesystem;
using server::HttpRequest;
using server::HttpResponse;

class BlocksApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-blocks-api-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto b = objstore::NewFilesystemBucket(dir_.string());
    ASSERT_TRUE(b.ok());
    bucket_ = std::move(*b);
    meta_.ulid = Ulid::New(1'700'000'000'000);
    meta_.min_time = 1'700'000'000'000;
    meta_.max_time = 1'700'007'200'000;
    meta_.stats.num_series = 12;
    meta_.compaction.level = 2;
    meta_.thanos = tsdb::ThanosMeta{};
    meta_.thanos->labels = Labels{{"cluster", "eu"}, {"replica", "0"}};
    meta_.thanos->source = "compactor";
    meta_.thanos->downsample_resolution = 300000;
    ASSERT_TRUE(
        bucket_->Upload(meta_.ulid.String() + "/meta.json", tsdb::SerializeBlockMeta(meta_)).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  HttpResponse Call(const std::string& method, const std::string& path,
                    std::vector<std::pair<std::string, std::string>> params = {}) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.params = std::move(params);
    return router_.Route(req);
  }

  fs::path dir_;
  std::unique_ptr<objstore::Bucket> bucket_;
  tsdb::BlockMeta meta_;
  server::Router router_;
};

TEST_F(BlocksApiTest, AnswersTheMetasWithLabelAndRefreshTime) {
  BlocksApi api("cluster", false, bucket_.get());
  api.Register(router_);
  auto before = nlohmann::json::parse(Call("GET", "/api/v1/blocks").body);
  EXPECT_EQ(before["status"], "success");
  EXPECT_EQ(before["data"]["blocks"].size(), 0u);
  EXPECT_EQ(before["data"]["refreshedAt"], "0001-01-01T00:00:00Z");

  api.SetGlobal({meta_}, Status::OK());
  auto j = nlohmann::json::parse(Call("GET", "/api/v1/blocks").body);
  EXPECT_EQ(j["data"]["label"], "cluster");
  EXPECT_TRUE(j["data"]["err"].is_null());
  EXPECT_NE(j["data"]["refreshedAt"], "0001-01-01T00:00:00Z");
  ASSERT_EQ(j["data"]["blocks"].size(), 1u);
  const auto& b = j["data"]["blocks"][0];
  EXPECT_EQ(b["ulid"], meta_.ulid.String());
  EXPECT_EQ(b["minTime"], meta_.min_time);
  EXPECT_EQ(b["maxTime"], meta_.max_time);
  EXPECT_EQ(b["stats"]["numSeries"], 12);
  EXPECT_EQ(b["compaction"]["level"], 2);
  EXPECT_EQ(b["thanos"]["labels"]["cluster"], "eu");
  EXPECT_EQ(b["thanos"]["downsample"]["resolution"], 300000);
  EXPECT_EQ(b["thanos"]["source"], "compactor");

  // The loaded view is separate (the store gateway's).
  EXPECT_EQ(nlohmann::json::parse(
                Call("GET", "/api/v1/blocks", {{"view", "loaded"}}).body)["data"]["blocks"]
                .size(),
            0u);

  // A failed refresh keeps the last list and says why.
  api.SetGlobal({}, Status::IOError("bucket unreachable"));
  j = nlohmann::json::parse(Call("GET", "/api/v1/blocks").body);
  EXPECT_EQ(j["data"]["blocks"].size(), 1u);
  EXPECT_NE(j["data"]["err"].get<std::string>().find("bucket unreachable"), std::string::npos);
}

TEST_F(BlocksApiTest, MarksBlocksForDeletionAndNoCompaction) {
  BlocksApi api("", false, bucket_.get());
  api.Register(router_);
  const std::string id = meta_.ulid.String();
  HttpResponse r = Call("POST", "/api/v1/blocks/mark",
                        {{"id", id}, {"action", "DELETION"}, {"detail", "from a test"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto mark = bucket_->Get(id + "/deletion-mark.json");
  ASSERT_TRUE(mark.ok());
  auto m = nlohmann::json::parse(*mark);
  EXPECT_EQ(m["id"], id);
  EXPECT_EQ(m["details"], "from a test");

  r = Call("POST", "/api/v1/blocks/mark", {{"id", id}, {"action", "NO_COMPACTION"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto nc = bucket_->Get(id + "/no-compact-mark.json");
  ASSERT_TRUE(nc.ok());
  EXPECT_EQ(nlohmann::json::parse(*nc)["reason"], "manual");
}

TEST_F(BlocksApiTest, RefusesBadMarks) {
  BlocksApi api("", false, bucket_.get());
  api.Register(router_);
  const std::string id = meta_.ulid.String();
  auto error = [&](std::vector<std::pair<std::string, std::string>> params) {
    HttpResponse r = Call("POST", "/api/v1/blocks/mark", std::move(params));
    EXPECT_EQ(r.status, 400);
    return nlohmann::json::parse(r.body)["error"].get<std::string>();
  };
  EXPECT_EQ(error({{"action", "DELETION"}}), "ID cannot be empty");
  EXPECT_EQ(error({{"id", id}}), "Action cannot be empty");
  EXPECT_NE(error({{"id", "../../etc"}, {"action", "DELETION"}}).find("is not valid"),
            std::string::npos);
  EXPECT_EQ(error({{"id", id}, {"action", "SHRED"}}), "not supported marker SHRED");
  const std::string other = Ulid::New(1'700'000'000'000).String();
  EXPECT_NE(error({{"id", other}, {"action", "DELETION"}}).find("does not exist"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/blocks/mark", {{"id", id}, {"action", "DELETION"}}).status, 405);
  EXPECT_FALSE(*bucket_->Exists(id + "/deletion-mark.json"));

  server::Router locked;
  BlocksApi no_admin("", true, bucket_.get());
  no_admin.Register(locked);
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/blocks/mark";
  req.params = {{"id", id}, {"action", "DELETION"}};
  HttpResponse r = locked.Route(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Admin operations are disabled"), std::string::npos);
  EXPECT_FALSE(*bucket_->Exists(id + "/deletion-mark.json"));
}

}  // namespace
}  // namespace strata::ui
