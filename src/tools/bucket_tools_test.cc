#include "tools/bucket_tools.h"

#include <gtest/gtest.h>

namespace strata::tools {
namespace {

block::BucketBlock Block(const char* id, int64_t mint, int64_t res, int64_t size) {
  block::BucketBlock b;
  b.id = id;
  b.meta.ulid = *Ulid::Parse(id);
  b.meta.min_time = mint;
  b.meta.max_time = mint + 2 * 3600 * 1000;
  b.meta.stats = {480, 4, 4, 0};
  b.meta.compaction.level = 1;
  tsdb::ThanosMeta t;
  t.labels = Labels{{"cluster", "prod"}, {"replica", "a"}};
  t.downsample_resolution = res;
  t.source = "sidecar";
  b.meta.thanos = t;
  b.size_bytes = size;
  return b;
}

TEST(BucketToolsTest, LsAndInspect) {
  std::vector<block::BucketBlock> blocks = {
      Block("01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5", 1700007200000, 300000, 3 << 20),
      Block("01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", 1700000000000, 0, 1 << 30),
  };
  block::BucketBlock partial;
  partial.id = "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6";
  partial.partial = true;
  blocks.push_back(partial);

  EXPECT_EQ(FormatBucketLs(blocks, false),
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4\n01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5\n01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6\n");
  std::string wide = FormatBucketLs(blocks, true);
  EXPECT_NE(
      wide.find(
          "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4 -- 2023-11-14T22:13:20Z - 2023-11-15T00:13:20Z Diff: 2h, "
          "Compaction: 1, Downsample: 0, Source: sidecar, Labels: {cluster=prod,replica=a}"),
      std::string::npos)
      << wide;
  EXPECT_NE(wide.find("N6 -- partial upload"), std::string::npos);

  std::string table = FormatBucketInspect(blocks, {.price_per_gib_month = 0.02});
  EXPECT_EQ(
      table.substr(0, table.find('\n')),
      "ULID                        FROM                  UNTIL                 RANGE  SERIES  "
      "SAMPLES  CHUNKS  LEVEL  RESOLUTION  SOURCE   LABELS                  SIZE");
  EXPECT_NE(
      table.find(
          "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4  2023-11-14T22:13:20Z  2023-11-15T00:13:20Z  2h     4       "
          "480      4       1      0s          sidecar  cluster=prod,replica=a  1.00 GiB"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("\n01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6  partial upload (no meta.json), 0 B\n"),
            std::string::npos);
  EXPECT_NE(table.find("resolution 0s: 1 blocks, 1.00 GiB\n"), std::string::npos);
  EXPECT_NE(table.find("resolution 5m: 1 blocks, 3.00 MiB\n"), std::string::npos);
  EXPECT_NE(table.find("total: 3 blocks, 1.00 GiB; estimated storage cost $0.02/month"),
            std::string::npos)
      << table;
}

}  // namespace
}  // namespace strata::tools
