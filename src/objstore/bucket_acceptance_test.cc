// One acceptance suite for every provider: FILESYSTEM always, S3 against the real Swift s3api
// server that ctest starts (test/s3server/s3server.py). S3-only tests cover authentication and,
// through a fault-injecting proxy, retries and integrity checks.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "base/file.h"
#include "base/shutdown.h"
#include "base/ulid.h"
#include "objstore/config.h"
#include "objstore/filesystem.h"
#include "objstore/wrappers.h"

namespace strata::objstore {
namespace {

namespace fs = std::filesystem;

// KEY=VALUE lines written by s3server.py ($STRATA_S3_ENV or the build tree's s3server/env).
std::map<std::string, std::string> S3Env() {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("STRATA_S3_ENV");
  std::ifstream in(path != nullptr ? path : STRATA_S3_ENV_FILE);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

S3Config BaseS3Config(const std::map<std::string, std::string>& env, const std::string& endpoint) {
  S3Config c;
  c.bucket = env.at("bucket");
  c.endpoint = endpoint;
  c.region = env.at("region");
  c.access_key = env.at("access_key");
  c.secret_key = env.at("secret_key");
  c.insecure = true;
  c.bucket_lookup_type = "path";
  c.part_size = 5 << 20;
  c.retry_base_ms = 10;
  c.retry_cap_ms = 100;
  return c;
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<std::string> List(Bucket& b, const std::string& dir, bool recursive) {
  std::vector<std::string> out;
  Status st = b.Iter(
      dir,
      [&](const std::string& n) {
        out.push_back(n);
        return Status::OK();
      },
      recursive);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

class BucketAcceptanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    run_ = Ulid::New(0).String();  // a fresh key prefix per test keeps tests independent
    if (GetParam() == "FILESYSTEM") {
      tmp_ = fs::temp_directory_path() / ("strata-bucket-" + run_);
      auto b = NewFilesystemBucket(tmp_.string());
      ASSERT_TRUE(b.ok());
      bucket_ = WithPrefix(std::move(*b), run_);
      return;
    }
    env_ = S3Env();
    if (env_.empty())
      GTEST_SKIP() << "no S3 server running (ctest starts one with test/s3server/s3server.py)";
    auto b = NewS3Bucket(BaseS3Config(env_, env_.at("endpoint")));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    bucket_ = WithPrefix(std::move(*b), run_);
  }
  void TearDown() override {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  std::string run_;
  fs::path tmp_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Bucket> bucket_;
};

TEST_P(BucketAcceptanceTest, UploadGetOverwriteDelete) {
  Bucket& b = *bucket_;
  ASSERT_TRUE(b.Upload("blk/meta.json", "{\"v\":1}").ok());
  EXPECT_EQ(*b.Get("blk/meta.json"), "{\"v\":1}");
  EXPECT_TRUE(*b.Exists("blk/meta.json"));
  EXPECT_EQ(b.Attributes("blk/meta.json")->size, 7);
  EXPECT_GT(b.Attributes("blk/meta.json")->last_modified_ms, 1'600'000'000'000);
  ASSERT_TRUE(b.Upload("blk/meta.json", "{\"v\":22}").ok());  // overwrite
  EXPECT_EQ(*b.Get("blk/meta.json"), "{\"v\":22}");
  ASSERT_TRUE(b.Upload("empty", "").ok());
  EXPECT_EQ(*b.Get("empty"), "");
  ASSERT_TRUE(b.Delete("blk/meta.json").ok());
  EXPECT_FALSE(*b.Exists("blk/meta.json"));
  EXPECT_EQ(b.Get("blk/meta.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.Attributes("blk/meta.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.GetRange("nope", 0, 10).status().code(), StatusCode::kNotFound);
}

TEST_P(BucketAcceptanceTest, RangedReadsAtEdges) {
  Bucket& b = *bucket_;
  std::string data = RandomBytes(1000, 1);
  ASSERT_TRUE(b.Upload("obj", data).ok());
  EXPECT_EQ(*b.GetRange("obj", 0, 10), data.substr(0, 10));
  EXPECT_EQ(*b.GetRange("obj", 990, 10), data.substr(990));
  EXPECT_EQ(*b.GetRange("obj", 995, 10), data.substr(995));  // runs past the end
  EXPECT_EQ(*b.GetRange("obj", 1000, 10), "");
  EXPECT_EQ(*b.GetRange("obj", 5000, 10), "");
  EXPECT_EQ(*b.GetRange("obj", 10, -1), data.substr(10));
  EXPECT_EQ(*b.GetRange("obj", 0, -1), data);
  EXPECT_EQ(*b.GetRange("obj", 3, 0), "");
  EXPECT_EQ(b.GetRange("obj", -1, 5).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(BucketAcceptanceTest, ListsOneLevelAndRecursively) {
  Bucket& b = *bucket_;
  for (const char* n : {"dir1/a", "dir1/b", "dir1/sub/c", "dir2/x", "top"}) {
    ASSERT_TRUE(b.Upload(n, n).ok());
  }
  EXPECT_EQ(List(b, "", false), (std::vector<std::string>{"dir1/", "dir2/", "top"}));
  EXPECT_EQ(List(b, "dir1", false), (std::vector<std::string>{"dir1/a", "dir1/b", "dir1/sub/"}));
  EXPECT_EQ(List(b, "dir1/", false), (std::vector<std::string>{"dir1/a", "dir1/b", "dir1/sub/"}));
  EXPECT_EQ(List(b, "dir1", true), (std::vector<std::string>{"dir1/a", "dir1/b", "dir1/sub/c"}));
  EXPECT_EQ(List(b, "", true),
            (std::vector<std::string>{"dir1/a", "dir1/b", "dir1/sub/c", "dir2/x", "top"}));
  EXPECT_TRUE(List(b, "missing", false).empty());
  // An error from the callback stops the iteration and is returned.
  int calls = 0;
  Status st = b.Iter(
      "",
      [&](const std::string&) {
        calls++;
        return Status::Internal("stop");
      },
      false);
  EXPECT_EQ(st.message(), "stop");
  EXPECT_EQ(calls, 1);
}

// Listed names are found lexically below the bucket's directory, however it is spelled.
TEST(FilesystemBucketTest, ListsTheSameNamesHoweverTheDirectoryIsSpelled) {
  const fs::path dir = fs::temp_directory_path() / ("strata-fs-spelling-" + Ulid::New(0).String());
  fs::create_directories(dir / "sub");
  {
    auto base = NewFilesystemBucket(dir.string());
    ASSERT_TRUE(base.ok());
    ASSERT_TRUE((*base)->Upload("a/b", "x").ok());
    ASSERT_TRUE((*base)->Upload("top", "y").ok());
  }
  const fs::path cwd = fs::current_path();
  fs::current_path(dir / "sub");
  for (const std::string& spelling :
       {dir.string() + "/", dir.string() + "//", (dir / "sub" / "..").string(), std::string(".."),
        std::string("../")}) {
    auto b = NewFilesystemBucket(spelling);
    ASSERT_TRUE(b.ok()) << spelling;
    EXPECT_EQ(List(**b, "", true), (std::vector<std::string>{"a/b", "top"})) << spelling;
    EXPECT_EQ(List(**b, "", false), (std::vector<std::string>{"a/", "top"})) << spelling;
    EXPECT_EQ(List(**b, "a", false), (std::vector<std::string>{"a/b"})) << spelling;
  }
  fs::current_path(cwd);
  fs::remove_all(dir);
}

// An uploaded file may be hard-linked to its object: removing the file, or replacing it by a
// rename as TSDB writers do, leaves the object as uploaded.
TEST(FilesystemBucketTest, AnUploadedFileRemovedOrReplacedLeavesTheObject) {
  const fs::path dir = fs::temp_directory_path() / ("strata-fs-upload-" + Ulid::New(0).String());
  fs::create_directories(dir / "local");
  auto b = NewFilesystemBucket((dir / "bucket").string());
  ASSERT_TRUE(b.ok());
  const std::string a = (dir / "local" / "a").string(), c = (dir / "local" / "c").string();
  ASSERT_TRUE(WriteFileSynced(a, "first").ok());
  ASSERT_TRUE(WriteFileSynced(c, "kept").ok());
  ASSERT_TRUE((*b)->UploadFile("blk/a", a).ok());
  ASSERT_TRUE((*b)->UploadFile("blk/c", c).ok());
  ASSERT_TRUE(WriteFileAtomic(a, "second").ok());
  fs::remove(c);
  EXPECT_EQ(*(*b)->Get("blk/a"), "first");
  EXPECT_EQ(*(*b)->Get("blk/c"), "kept");
  // Uploading again replaces the object.
  ASSERT_TRUE((*b)->UploadFile("blk/a", a).ok());
  EXPECT_EQ(*(*b)->Get("blk/a"), "second");
  fs::remove_all(dir);
}

TEST_P(BucketAcceptanceTest, PaginatesPastAThousandObjectsWithConcurrentUploads) {
  Bucket& b = *bucket_;
  constexpr int kObjects = 1100;
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&] {
      for (int i = next++; i < kObjects; i = next++) {
        char name[32];
        std::snprintf(name, sizeof(name), "many/%05d", i);
        if (!b.Upload(name, name).ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  auto names = List(b, "many", false);
  ASSERT_EQ(names.size(), static_cast<size_t>(kObjects));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), "many/00000");
  EXPECT_EQ(names.back(), "many/01099");
  EXPECT_EQ(*b.Get("many/00777"), "many/00777");
}

TEST_P(BucketAcceptanceTest, LargeFileUploadDownload) {
  Bucket& b = *bucket_;
  std::string data = RandomBytes((11 << 20) + 123, 2);  // > 2 parts of 5 MiB
  fs::path dir = fs::temp_directory_path() / ("strata-upload-" + run_);
  fs::create_directories(dir);
  std::string src = (dir / "src").string(), dst = (dir / "dst").string();
  ASSERT_TRUE(WriteFileSynced(src, data).ok());
  Status st = b.UploadFile("big/chunks/000001", src);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(b.Attributes("big/chunks/000001")->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(*b.GetRange("big/chunks/000001", (5 << 20) - 10, 20), data.substr((5 << 20) - 10, 20));
  ASSERT_TRUE(b.Download("big/chunks/000001", dst).ok());
  EXPECT_EQ(*ReadFile(dst), data);
  EXPECT_EQ(b.Download("big/none", dst).code(), StatusCode::kNotFound);
  // In-memory uploads above the part size take the multipart path too.
  ASSERT_TRUE(b.Upload("big/mem", data).ok());
  EXPECT_EQ(*b.Get("big/mem"), data);
  fs::remove_all(dir);
}

TEST_P(BucketAcceptanceTest, RejectsNamesThatEscape) {
  Bucket& b = *bucket_;
  for (const char* n : {"../x", "a/../../x", "/abs", "a//b", "a/./b", "", "dir/"}) {
    EXPECT_EQ(b.Upload(n, "x").code(), StatusCode::kInvalidArgument) << n;
    EXPECT_EQ(b.Get(n).status().code(), StatusCode::kInvalidArgument) << n;
  }
  EXPECT_EQ(b.Upload(std::string("a\0b", 3), "x").code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Providers, BucketAcceptanceTest, ::testing::Values("FILESYSTEM", "S3"),
                         [](const auto& info) { return info.param; });

// --- S3 only: authentication and faults ---------------------------------------------------

class S3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = S3Env();
    if (env_.empty())
      GTEST_SKIP() << "no S3 server running (ctest starts one with test/s3server/s3server.py)";
    run_ = Ulid::New(0).String();
  }
  void TearDown() override {
    if (!env_.empty()) SetFault("none", 0);
  }
  std::unique_ptr<Bucket> Through(bool proxy, int max_retries = 5) {
    S3Config c = BaseS3Config(env_, env_.at(proxy ? "proxy_endpoint" : "endpoint"));
    c.max_retries = max_retries;
    c.http.response_header_timeout_ms = 1000;
    auto b = NewS3Bucket(c);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return WithPrefix(std::move(b).value(), run_);
  }
  void SetFault(const std::string& mode, int count, double seconds = 0) {
    // Faults apply only to requests under this test's key prefix.
    std::string url = "http://" + env_.at("proxy_endpoint") + "/__fault?match=" + run_ +
                      "&mode=" + mode + "&count=" + std::to_string(count) +
                      "&seconds=" + std::to_string(seconds);
    CURL* h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(
        h, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
    ASSERT_EQ(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
  }

  std::map<std::string, std::string> env_;
  std::string run_;
};

TEST_F(S3FaultTest, WrongSecretIsAClearAuthenticationError) {
  S3Config c = BaseS3Config(env_, env_.at("endpoint"));
  c.secret_key = "wrong";
  auto b = NewS3Bucket(c);
  ASSERT_TRUE(b.ok());
  auto r = (*b)->Get("anything");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("authentication failed"), std::string::npos);
  EXPECT_NE(r.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << r.status().message();
}

TEST_F(S3FaultTest, RetriesServerErrorsSlowDownAndDroppedConnections) {
  auto b = Through(true);
  ASSERT_TRUE(b->Upload("obj", "payload").ok());
  for (const char* mode : {"500", "503", "drop"}) {
    SetFault(mode, 2);
    auto r = b->Get("obj");
    ASSERT_TRUE(r.ok()) << mode << ": " << r.status().ToString();
    EXPECT_EQ(*r, "payload");
    SetFault(mode, 2);
    EXPECT_TRUE(b->Upload("obj2", "again").ok()) << mode;
  }
  EXPECT_EQ(*b->Get("obj2"), "again");
}

TEST_F(S3FaultTest, FailedUploadIsNeverReportedAsSuccess) {
  auto b = Through(true, /*max_retries=*/2);
  SetFault("500", 100);
  Status st = b->Upload("never", "data");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("after 3 attempts"), std::string::npos) << st.message();
  SetFault("none", 0);
  EXPECT_FALSE(*b->Exists("never"));
  // A dropped connection on every attempt of a multipart part fails the upload too.
  std::string big = RandomBytes(6 << 20, 3);
  SetFault("drop", 100);
  EXPECT_FALSE(b->Upload("never-big", big).ok());
  SetFault("none", 0);
  EXPECT_FALSE(*b->Exists("never-big"));
}

TEST_F(S3FaultTest, TruncatedBodiesAreDetected) {
  auto b = Through(true, /*max_retries=*/1);
  std::string data = RandomBytes(100000, 4);
  ASSERT_TRUE(b->Upload("obj", data).ok());
  SetFault("truncate", 100);
  auto r = b->GetRange("obj", 100, 50000);
  EXPECT_FALSE(r.ok()) << "a truncated range read must not return data";
  auto g = b->Get("obj");
  EXPECT_FALSE(g.ok());
  SetFault("truncate", 1);  // one truncated attempt, then a good one
  r = b->GetRange("obj", 100, 50000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, data.substr(100, 50000));
}

TEST_F(S3FaultTest, StalledRequestsTimeOutAndAreRetried) {
  auto b = Through(true);
  ASSERT_TRUE(b->Upload("obj", "x").ok());
  SetFault("stall", 1, 4.0);
  auto start = std::chrono::steady_clock::now();
  auto r = b->Get("obj");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "x");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(S3FaultTest, ShutdownAbortsStalledRequestsAndRetries) {
  auto b = Through(true);
  ASSERT_TRUE(b->Upload("obj", "x").ok());
  SetFault("stall", 1, 20.0);
  shutdown::ResetForTest();
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    shutdown::Request(0);
  });
  auto r = b->Get("obj");
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("shutting down"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // Once shutdown is requested nothing new starts, and a failing server is not retried.
  EXPECT_EQ(b->Upload("late", "x").code(), StatusCode::kCancelled);
  shutdown::ResetForTest();
  // A server failing for longer than the test: the request is between retries when asked to stop.
  S3Config c = BaseS3Config(env_, env_.at("proxy_endpoint"));
  c.max_retries = 1000;
  c.retry_base_ms = c.retry_cap_ms = 200;
  auto slow = NewS3Bucket(c);
  ASSERT_TRUE(slow.ok());
  b = WithPrefix(std::move(slow).value(), run_);
  SetFault("500", 1000);
  std::thread again([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    shutdown::Request(0);
  });
  Status st = b->Upload("late", "x");
  again.join();
  shutdown::ResetForTest();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("shutting down"), std::string::npos) << st.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  SetFault("none", 0);
  EXPECT_FALSE(*b->Exists("late"));
}

}  // namespace
}  // namespace strata::objstore
