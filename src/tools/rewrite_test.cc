#include "tools/rewrite.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "block/block.h"
#include "objstore/filesystem.h"
#include "tsdb/block.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"
#include "tsdb/xor_chunk.h"

namespace strata::tools {
namespace {
namespace fs = std::filesystem;

class RewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() + "/bucket");
    bucket_ = std::move(*objstore::NewFilesystemBucket(tmp_.path() + "/bucket"));
    // up{job="a|b", instance="1|2"}: a sample a minute for two hours.
    fs::create_directories(tmp_.path() + "/local");
    tsdb::BlockWriter w(tmp_.path() + "/local");
    for (const char* job : {"a", "b"}) {
      for (const char* inst : {"1", "2"}) {
        Labels l{{"__name__", "up"}, {"instance", inst}, {"job", job}};
        for (int64_t t = 0; t < 7200000; t += 60000) ASSERT_TRUE(w.Append(l, t, 1).ok());
      }
    }
    tsdb::ThanosMeta th;
    th.labels = Labels{{"cluster", "eu"}};
    th.source = "sidecar";
    auto meta = w.Flush(th);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    id_ = meta->ulid.String();
    ASSERT_TRUE(block::UploadBlock(*bucket_, tmp_.path() + "/local/" + id_).ok());
    opts_.ids = {id_};
    opts_.tmp_dir = tmp_.path() + "/work";
  }
  // The block the bucket has besides the original.
  std::string NewBlock() {
    for (const auto& e : fs::directory_iterator(tmp_.path() + "/bucket")) {
      if (e.path().filename() != id_) return e.path().string();
    }
    return "";
  }
  // Series labels -> number of samples.
  std::map<std::string, int> Samples(const std::string& dir) {
    auto b = tsdb::Block::Open(dir);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    std::map<std::string, int> out;
    auto sel =
        (*b)->Select({*Matcher::Make(MatchType::kRegexMatch, "__name__", ".+")}, 0, 1LL << 40);
    for (const auto& s : *sel) {
      tsdb::ChunkSeriesIterator it(&(*b)->chunks(), &s, 0, 1LL << 40);
      int n = 0;
      while (it.Next()) n++;
      out[s.labels.String()] = n;
    }
    return out;
  }
  std::string ChangeLog() {
    for (const auto& e : fs::recursive_directory_iterator(opts_.tmp_dir)) {
      if (e.path().filename() == "change.log") {
        std::ifstream in(e.path());
        return std::string(std::istreambuf_iterator<char>(in), {});
      }
    }
    return "";
  }
  tsdb::TempDir tmp_;
  std::unique_ptr<objstore::Bucket> bucket_;
  std::string id_;
  RewriteOptions opts_;
};

TEST_F(RewriteTest, DeletesSeriesAndIntervals) {
  auto del = ParseDeletionRequests(
      "- matchers: '{job=\"a\", instance=\"1\"}'\n"
      "- matchers: '{job=\"b\"}'\n"
      "  intervals:\n  - mint: 0\n    maxt: 3599999\n");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  opts_.deletions = *del;
  ASSERT_TRUE(RewriteBlocks(*bucket_, opts_).ok());  // a dry run: nothing uploaded
  EXPECT_EQ(NewBlock(), "");
  EXPECT_NE(ChangeLog().find("Deleted {__name__=\"up\", instance=\"1\", job=\"a\"} [{0 7140000}]"),
            std::string::npos)
      << ChangeLog();
  opts_.dry_run = false;
  opts_.delete_blocks = true;
  ASSERT_TRUE(RewriteBlocks(*bucket_, opts_).ok());
  const std::string nb = NewBlock();
  ASSERT_NE(nb, "");
  EXPECT_EQ(Samples(nb), (std::map<std::string, int>{
                             {"{__name__=\"up\", instance=\"1\", job=\"b\"}", 60},
                             {"{__name__=\"up\", instance=\"2\", job=\"a\"}", 120},
                             {"{__name__=\"up\", instance=\"2\", job=\"b\"}", 60},
                         }));
  EXPECT_NE(ChangeLog().find("Deleted {__name__=\"up\", instance=\"2\", job=\"b\"} [{0 3599999}]"),
            std::string::npos)
      << ChangeLog();
  // meta.json: a new identity, the old sources and the request kept in thanos.rewrites.
  auto meta = nlohmann::json::parse(std::ifstream(nb + "/meta.json"));
  const std::string new_id = fs::path(nb).filename().string();
  EXPECT_EQ(meta["compaction"]["sources"], nlohmann::json::array({new_id}));
  EXPECT_EQ(meta["thanos"]["source"], "bucket.rewrite");
  EXPECT_EQ(meta["thanos"]["labels"]["cluster"], "eu");
  EXPECT_EQ(meta["stats"]["numSeries"], 3);
  EXPECT_EQ(meta["thanos"]["rewrites"][0]["sources"], nlohmann::json::array({id_}));
  EXPECT_EQ(meta["thanos"]["rewrites"][0]["deletions_applied"][1]["intervals"][0]["Maxt"], 3599999);
  EXPECT_TRUE(fs::exists(tmp_.path() + "/bucket/" + id_ + "/deletion-mark.json"));
}

TEST_F(RewriteTest, RelabelsAndMergesSeries) {
  auto rel = relabel::ParseConfigs(
      "- action: labeldrop\n  regex: instance\n"
      "- source_labels: [job]\n  regex: b\n  action: drop\n");
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  opts_.relabels = *rel;
  opts_.dry_run = false;
  ASSERT_TRUE(RewriteBlocks(*bucket_, opts_).ok());
  const std::string nb = NewBlock();
  ASSERT_NE(nb, "");
  // The two instances of job a become one series (same timestamps: one sample each).
  EXPECT_EQ(Samples(nb), (std::map<std::string, int>{{"{__name__=\"up\", job=\"a\"}", 120}}));
  const std::string log = ChangeLog();
  EXPECT_NE(log.find("Relabelled {__name__=\"up\", instance=\"1\", job=\"a\"} {__name__=\"up\", "
                     "job=\"a\"}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("Deleted {__name__=\"up\", instance=\"2\", job=\"b\"} [{0 7140000}]"),
            std::string::npos)
      << log;
  auto meta = nlohmann::json::parse(std::ifstream(nb + "/meta.json"));
  EXPECT_EQ(meta["thanos"]["rewrites"][0]["relabels_applied"][0]["Action"], "labeldrop");
  EXPECT_EQ(meta["thanos"]["rewrites"][0]["relabels_applied"][1]["Regex"], "^(?:b)$");
  EXPECT_FALSE(fs::exists(tmp_.path() + "/bucket/" + id_ + "/deletion-mark.json"));
}

TEST(DeletionRequestsTest, BadInputIsRefused) {
  EXPECT_EQ(ParseDeletionRequests("- matchers: 'up{'\n")
                .status()
                .message()
                .rfind("parse metric selector up{", 0),
            0u);
  EXPECT_EQ(ParseDeletionRequests("- matcher: up\n").status().message(),
            "deletion requests: field matcher not found");
}

}  // namespace
}  // namespace strata::tools
