#include "tsdb/chunk_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "base/file.h"
#include "tsdb/test_util.h"

namespace strata::tsdb {
namespace {

TEST(ChunkFileTest, WriteReadAndCutSegments) {
  TempDir dir;
  ChunkWriter w(dir.path(), /*segment_size=*/64);
  std::vector<uint64_t> refs;
  for (int i = 0; i < 5; i++) {
    auto r = w.Write(1, std::string(20, static_cast<char>('a' + i)));
    ASSERT_TRUE(r.ok());
    refs.push_back(*r);
  }
  ASSERT_TRUE(w.Close().ok());
  EXPECT_GT(w.segment_names().size(), 1u);
  EXPECT_EQ(w.segment_names()[0], "000001");
  EXPECT_EQ(refs[0], ChunkRef::Make(0, 8));

  auto r = ChunkReader::Open(dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 5; i++) {
    auto c = r->Chunk(refs[i]);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->encoding, 1);
    EXPECT_EQ(c->data, std::string(20, static_cast<char>('a' + i)));
  }
}

TEST(ChunkFileTest, CorruptionIsReportedWithFileAndOffset) {
  TempDir dir;
  ChunkWriter w(dir.path());
  auto ref = w.Write(1, "hello world");
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(w.Close().ok());
  const std::string path = dir.path() + "/000001";
  std::string data = *ReadFile(path);

  // Flip a data byte: CRC mismatch.
  data[12] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  auto r = ChunkReader::Open(dir.path());
  ASSERT_TRUE(r.ok());
  auto c = r->Chunk(*ref);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
  EXPECT_NE(c.status().message().find(path), std::string::npos);
  EXPECT_NE(c.status().message().find("offset 8"), std::string::npos);
  EXPECT_NE(c.status().message().find("checksum"), std::string::npos);

  // References outside the file or to missing segments.
  EXPECT_FALSE(r->Chunk(ChunkRef::Make(0, 1 << 20)).ok());
  EXPECT_FALSE(r->Chunk(ChunkRef::Make(5, 8)).ok());
  EXPECT_FALSE(r->Chunk(ChunkRef::Make(0, 2)).ok());

  // Truncated segment: the length runs past the end.
  ASSERT_TRUE(WriteFileAtomic(path, data.substr(0, 15)).ok());
  r = ChunkReader::Open(dir.path());
  ASSERT_TRUE(r.ok());
  c = r->Chunk(*ref);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("past the end"), std::string::npos);

  // Wrong magic.
  ASSERT_TRUE(WriteFileAtomic(path, std::string("\x12\x34\x56\x78\x01\0\0\0", 8)).ok());
  auto bad = ChunkReader::Open(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid magic number 12345678"), std::string::npos);
}

}  // namespace
}  // namespace strata::tsdb
