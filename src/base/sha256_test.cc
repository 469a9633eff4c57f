#include "base/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/file.h"

namespace strata {
namespace {

TEST(Sha256Test, KnownDigestsOfStringsPartsAndFiles) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex({"a", "", "bc"}), Sha256Hex("abc"));
  const std::string path = ::testing::TempDir() + "/sha256-test-file";
  const std::string big(3 << 20, 'x');  // more than one 1 MiB read
  { std::ofstream(path, std::ios::binary) << big; }
  auto file = FileSha256Hex(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*file, Sha256Hex(big));
  std::remove(path.c_str());
  EXPECT_FALSE(FileSha256Hex(path).ok());
}

}  // namespace
}  // namespace strata
