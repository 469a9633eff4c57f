#include "base/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace strata {
namespace {

namespace fs = std::filesystem;

// Resident mapped-file memory of this process, in KiB: RssFile, plus RssShmem for a temporary
// directory on tmpfs (/proc/self/status).
long RssFileKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  long kib = -1;
  while (std::getline(in, line)) {
    for (const char* key : {"RssFile:", "RssShmem:"}) {
      if (line.rfind(key, 0) == 0) kib = std::max(kib, 0L) + std::stol(line.substr(strlen(key)));
    }
  }
  return kib;
}

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("strata-file-" + std::to_string(getpid()))).string();
    std::string data(kSize, '\0');
    for (size_t i = 0; i < kSize; i++) data[i] = static_cast<char>(i * 7 + i / 4096);
    ASSERT_TRUE(WriteFileSynced(path_, data).ok());
    want_ = std::move(data);
  }
  void TearDown() override { fs::remove(path_); }

  static constexpr size_t kSize = 32 << 20;
  std::string path_, want_;
};

TEST_F(FileTest, ReadFileRangeReadsWhatIsThereAndStopsAtTheEnd) {
  EXPECT_EQ(*ReadFileRange(path_, 5, 100), want_.substr(5, 100));
  EXPECT_EQ(*ReadFileRange(path_, kSize - 10, 100), want_.substr(kSize - 10));
  EXPECT_EQ(*ReadFileRange(path_, kSize - 10, -1), want_.substr(kSize - 10));
  EXPECT_EQ(*ReadFileRange(path_, kSize + 10, 5), "");
  auto missing = ReadFileRange(path_ + ".missing", 0, 5);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find(".missing"), std::string::npos);
}

// A compaction reads its sources' chunks in order; pages it is done with are given back, and
// reading them again still gives the file's bytes.
TEST_F(FileTest, DroppedPagesLeaveTheResidentSetAndReadBackUnchanged) {
  auto f = MappedFile::Open(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const long before = RssFileKib();
  ASSERT_GE(before, 0) << "no RssFile in /proc/self/status";
  uint64_t sum = 0;
  for (size_t i = 0; i < kSize; i += 4096) sum += static_cast<uint8_t>(f->data()[i]);
  const long touched = RssFileKib();
  EXPECT_GE(touched - before, 24 << 10) << "touching 32 MiB made it resident";
  f->DropPagesBefore(kSize - 5000);  // all whole pages below: all but the last two
  const long dropped = RssFileKib();
  EXPECT_LE(dropped - before, 1 << 10) << "touched " << touched << " KiB, now " << dropped;
  EXPECT_EQ(f->data(), want_);
  EXPECT_GT(sum, 0u);
}

}  // namespace
}  // namespace strata
