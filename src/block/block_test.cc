#include "block/block.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "objstore/filesystem.h"
#include "objstore/wrappers.h"
#include "tsdb/block_writer.h"

namespace strata::block {
namespace {
namespace fs = std::filesystem;

class BlockUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("strata-block-" + Ulid::New(0).String());
    fs::create_directories(root_ / "local");
    bucket_ = std::move(*objstore::NewFilesystemBucket((root_ / "bucket").string()));
  }
  void TearDown() override { fs::remove_all(root_); }

  tsdb::BlockMeta WriteBlock(int series) {
    tsdb::BlockWriter w((root_ / "local").string());
    for (int i = 0; i < series; i++) {
      for (int t = 0; t < 10; t++) {
        EXPECT_TRUE(
            w.Append(Labels{{"__name__", "m"}, {"i", std::to_string(i)}}, t * 1000, t).ok());
      }
    }
    return *w.Flush();
  }

  fs::path root_;
  std::unique_ptr<objstore::Bucket> bucket_;
};

TEST_F(BlockUploadTest, UploadThenFetch) {
  tsdb::BlockMeta a = WriteBlock(3), b = WriteBlock(5);
  tsdb::ThanosMeta t;
  t.labels = Labels{{"cluster", "prod"}, {"replica", "a"}};
  t.source = "sidecar";
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / a.ulid.String()).string(), &t).ok());
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / b.ulid.String()).string()).ok());
  // A partial block (no meta.json) and one with a corrupt meta.json.
  const std::string partial = Ulid::New(1).String(), corrupt = Ulid::New(2).String();
  ASSERT_TRUE(bucket_->Upload(partial + "/index", "x").ok());
  ASSERT_TRUE(bucket_->Upload(corrupt + "/meta.json", "{not json").ok());
  ASSERT_TRUE(bucket_->Upload(b.ulid.String() + "/deletion-mark.json", "{}").ok());
  ASSERT_TRUE(bucket_->Upload("debug/not-a-block", "x").ok());

  auto blocks = FetchBlocks(*bucket_, {.concurrency = 2, .sizes = true});
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 4u);
  std::map<std::string, BucketBlock> by_id;
  for (auto& blk : *blocks) by_id[blk.id] = blk;
  const BucketBlock& ba = by_id.at(a.ulid.String());
  EXPECT_FALSE(ba.partial);
  EXPECT_TRUE(ba.error.empty());
  EXPECT_EQ(ba.meta.stats.num_series, 3u);
  ASSERT_TRUE(ba.meta.thanos.has_value());
  EXPECT_EQ(ba.meta.thanos->labels.Get("cluster"), "prod");
  EXPECT_EQ(ba.meta.thanos->source, "sidecar");
  EXPECT_EQ(ba.meta.thanos->segment_files, std::vector<std::string>{"000001"});
  // files lists chunks, index, tombstones and meta.json, with sizes that add up.
  int64_t listed = 0;
  for (const auto& f : ba.meta.thanos->files) listed += f.size_bytes;
  EXPECT_EQ(ba.meta.thanos->files.size(), 4u);
  EXPECT_GT(ba.size_bytes, listed);  // plus meta.json itself
  EXPECT_TRUE(by_id.at(b.ulid.String()).marked_for_deletion);
  EXPECT_TRUE(by_id.at(partial).partial);
  EXPECT_NE(by_id.at(corrupt).error.find("invalid JSON"), std::string::npos);
}

// --block-files-concurrency: a block's files sent and fetched several at a time arrive whole,
// and meta.json (written last) lists them all.
TEST_F(BlockUploadTest, FilesMoveInParallelAndArriveWhole) {
  tsdb::BlockMeta a = WriteBlock(50);
  const std::string local = (root_ / "local" / a.ulid.String()).string();
  ASSERT_TRUE(UploadBlock(*bucket_, local, nullptr, /*file_concurrency=*/4).ok());
  ASSERT_TRUE(
      DownloadBlock(*bucket_, a.ulid.String(), (root_ / "down").string(), /*file_concurrency=*/4)
          .ok());
  for (const char* f : {"index", "chunks/000001", "tombstones"}) {
    auto want = ReadFile(local + "/" + f),
         got = ReadFile((root_ / "down" / a.ulid.String() / f).string());
    ASSERT_TRUE(want.ok() && got.ok()) << f;
    EXPECT_EQ(*want, *got) << f;
  }
  auto meta = tsdb::ReadBlockMeta((root_ / "down" / a.ulid.String()).string());
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->thanos->files.size(), 4u);
  EXPECT_EQ(meta->stats.num_series, 50u);
  for (const auto& f : meta->thanos->files) EXPECT_TRUE(f.hash_func.empty()) << f.rel_path;
}

// --hash-func=SHA256: each file's SHA-256 in meta.json as Thanos writes it
// ("hash": {"hashFunc": "SHA256", "value": ...}), and kept when meta.json is read and written.
TEST_F(BlockUploadTest, HashFuncRecordsEachFilesSha256) {
  tsdb::BlockMeta a = WriteBlock(5);
  const std::string local = (root_ / "local" / a.ulid.String()).string();
  ASSERT_TRUE(UploadBlock(*bucket_, local, nullptr, 2, "SHA256").ok());
  auto json = bucket_->Get(a.ulid.String() + "/meta.json");
  ASSERT_TRUE(json.ok());
  auto j = nlohmann::json::parse(*json);
  int hashed = 0;
  for (const auto& f : j["thanos"]["files"]) {
    if (f["rel_path"] == "meta.json") {
      EXPECT_FALSE(f.contains("hash"));
      continue;
    }
    ASSERT_TRUE(f.contains("hash")) << f.dump();
    EXPECT_EQ(f["hash"]["hashFunc"], "SHA256");
    EXPECT_EQ(f["hash"]["value"].get<std::string>().size(), 64u);
    hashed++;
  }
  EXPECT_EQ(hashed, 3);
  // The empty tombstones file (9 bytes: magic, version, CRC) hashes as `sha256sum` prints it.
  for (const auto& f : j["thanos"]["files"]) {
    if (f["rel_path"] == "tombstones") {
      EXPECT_EQ(f["hash"]["value"],
                "abef5b6f54ecd8bf74c648edd3fd3f3044587f7f4539ad7eb283571b209914fb");
    }
  }
  auto meta = tsdb::ParseBlockMeta(*json, "meta.json");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(nlohmann::json::parse(tsdb::SerializeBlockMeta(*meta))["thanos"]["files"],
            j["thanos"]["files"])
      << "hashes survive a round trip";
  EXPECT_FALSE(UploadBlock(*bucket_, local, nullptr, 1, "MD5").ok());
  EXPECT_FALSE(CheckHashFunc("MD5").ok());
}

// thanos_objstore_bucket_operations_total for one operation.
double Operations(const Registry& r, const std::string& op) {
  std::istringstream in(r.Expose());
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("thanos_objstore_bucket_operations_total{") &&
        line.find("operation=\"" + op + "\"") != std::string::npos)
      return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

TEST_F(BlockUploadTest, MetaCacheReadsEachMetaOnceAndNoSizesUnlessAsked) {
  tsdb::BlockMeta a = WriteBlock(3), b = WriteBlock(5);
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / a.ulid.String()).string()).ok());
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / b.ulid.String()).string()).ok());
  Registry r;
  auto counted = objstore::WithMetrics(std::move(bucket_), &r);
  MetaCache cache;
  for (int pass = 0; pass < 3; pass++) {
    auto blocks = FetchBlocks(*counted, {.cache = &cache});
    ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
    ASSERT_EQ(blocks->size(), 2u);
    for (const auto& blk : *blocks) {
      EXPECT_FALSE(blk.partial);
      EXPECT_EQ(blk.meta.ulid.String(), blk.id);
      EXPECT_EQ(blk.size_bytes, 0);
    }
  }
  EXPECT_EQ(Operations(r, "get"), 2);  // one meta.json per block, in three passes
  EXPECT_EQ(Operations(r, "attributes"), 0);
  // A block losing its meta.json (being deleted) is partial again, cache or not.
  ASSERT_TRUE(counted->Delete(a.ulid.String() + "/meta.json").ok());
  auto blocks = FetchBlocks(*counted, {.cache = &cache});
  ASSERT_TRUE(blocks.ok());
  for (const auto& blk : *blocks) EXPECT_EQ(blk.partial, blk.id == a.ulid.String()) << blk.id;
  EXPECT_FALSE(cache.Get(b.ulid.String()) == std::nullopt);
  // Blocks gone from the bucket are forgotten.
  ASSERT_TRUE(counted->Delete(b.ulid.String() + "/meta.json").ok());
  for (const char* f : {"index", "chunks/000001", "tombstones"})
    ASSERT_TRUE(counted->Delete(b.ulid.String() + "/" + f).ok());
  ASSERT_TRUE(FetchBlocks(*counted, {.cache = &cache}).ok());
  EXPECT_TRUE(cache.Get(b.ulid.String()) == std::nullopt);
}

TEST_F(BlockUploadTest, MetaCacheOnDiskSurvivesARestart) {
  tsdb::BlockMeta a = WriteBlock(3), b = WriteBlock(5);
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / a.ulid.String()).string()).ok());
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / b.ulid.String()).string()).ok());
  Registry r;
  auto counted = objstore::WithMetrics(std::move(bucket_), &r);
  const std::string dir = MetaCacheDir((root_ / "data").string());
  {
    MetaCache first(dir);
    ASSERT_TRUE(FetchBlocks(*counted, {.cache = &first}).ok());
  }
  EXPECT_EQ(Operations(r, "get"), 2);
  // A restarted component (a new cache on the same directory) reads no meta.json again.
  MetaCache second(dir);
  auto blocks = FetchBlocks(*counted, {.cache = &second});
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 2u);
  for (const auto& blk : *blocks) EXPECT_EQ(blk.meta.ulid.String(), blk.id);
  EXPECT_EQ(Operations(r, "get"), 2);
  // A damaged copy is read from the bucket again; a block gone from the bucket leaves the disk.
  {
    std::ofstream broken(fs::path(dir) / a.ulid.String() / "meta.json", std::ios::trunc);
    broken << "{not json";
  }
  MetaCache third(dir);
  blocks = FetchBlocks(*counted, {.cache = &third});
  ASSERT_TRUE(blocks.ok());
  EXPECT_EQ(Operations(r, "get"), 3);
  for (const auto& blk : *blocks) EXPECT_EQ(blk.meta.ulid.String(), blk.id);
  ASSERT_TRUE(DeleteBlock(*counted, b.ulid.String()).ok());
  ASSERT_TRUE(FetchBlocks(*counted, {.cache = &third}).ok());
  EXPECT_FALSE(fs::exists(fs::path(dir) / b.ulid.String()));
  EXPECT_TRUE(fs::exists(fs::path(dir) / a.ulid.String() / "meta.json"));
}

TEST_F(BlockUploadTest, MetaCacheThatCannotWriteItsDirectoryStillServesFromMemory) {
  tsdb::BlockMeta a = WriteBlock(3);
  ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / a.ulid.String()).string()).ok());
  // A regular file where the directory should be: nothing can be kept on disk.
  { std::ofstream(root_ / "not-a-dir") << "x"; }
  MetaCache cache((root_ / "not-a-dir").string());
  auto blocks = FetchBlocks(*bucket_, {.cache = &cache});
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].meta.ulid.String(), a.ulid.String());
  EXPECT_TRUE(cache.Get(a.ulid.String()).has_value());
}

// Lists slowly, like a bucket behind a congested link.
class SlowListingBucket : public objstore::Bucket {
 public:
  explicit SlowListingBucket(objstore::Bucket& b) : b_(b) {}
  Status Iter(std::string_view d, const objstore::IterFn& fn, bool r) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return b_.Iter(d, fn, r);
  }
  Result<std::string> Get(std::string_view n) override { return b_.Get(n); }
  Result<std::string> GetRange(std::string_view n, int64_t o, int64_t l) override {
    return b_.GetRange(n, o, l);
  }
  Result<bool> Exists(std::string_view n) override { return b_.Exists(n); }
  Result<objstore::ObjectAttributes> Attributes(std::string_view n) override {
    return b_.Attributes(n);
  }
  Status Upload(std::string_view n, std::string_view d) override { return b_.Upload(n, d); }
  Status UploadFile(std::string_view n, const std::string& p) override {
    return b_.UploadFile(n, p);
  }
  Status Download(std::string_view n, const std::string& p) override { return b_.Download(n, p); }
  Status Delete(std::string_view n) override { return b_.Delete(n); }
  std::string Name() const override { return "slow"; }

 private:
  objstore::Bucket& b_;
};

TEST_F(BlockUploadTest, FetchGivesUpAtItsTimeout) {
  for (int i = 0; i < 4; i++) {
    tsdb::BlockMeta m = WriteBlock(1);
    ASSERT_TRUE(UploadBlock(*bucket_, (root_ / "local" / m.ulid.String()).string()).ok());
  }
  SlowListingBucket slow(*bucket_);
  auto blocks = FetchBlocks(slow, {.concurrency = 1, .timeout_ms = 50});
  ASSERT_EQ(blocks.status().code(), StatusCode::kDeadlineExceeded) << blocks.status().ToString();
  EXPECT_NE(blocks.status().message().find("timed out after 50ms"), std::string::npos)
      << blocks.status().message();
  EXPECT_NE(blocks.status().message().find("of 4 blocks read"), std::string::npos);
  EXPECT_TRUE(FetchBlocks(slow, {.concurrency = 4, .timeout_ms = 10000}).ok());
}

TEST_F(BlockUploadTest, RejectsDirectoryNotNamedAfterItsUlid) {
  tsdb::BlockMeta a = WriteBlock(1);
  fs::rename(root_ / "local" / a.ulid.String(), root_ / "local" / "renamed");
  Status st = UploadBlock(*bucket_, (root_ / "local" / "renamed").string());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::block
