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

  setenv("TZ", "UTC", 1);
  tzset();
  // Thanos lists blocks with a meta.json only, times to the second in the local zone.
  EXPECT_EQ(FormatBucketLs(blocks, false),
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5\n01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4\n");
  EXPECT_EQ(FormatBucketLs(blocks, true),
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5 -- 2023-11-15T00:13:20Z - 2023-11-15T02:13:20Z Diff: "
            "2h0m0s, Compaction: 1, Downsample: 300000, Source: sidecar\n"
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4 -- 2023-11-14T22:13:20Z - 2023-11-15T00:13:20Z Diff: "
            "2h0m0s, Compaction: 1, Downsample: 0, Source: sidecar\n");

  // Thanos's table, byte for byte (its tablewriter layout), sorted by FROM then UNTIL.
  blocks[0].meta.stats = {1234567, 1234, 12345, 0};
  blocks[0].meta.compaction.failed = true;
  EXPECT_EQ(FormatBucketInspect(blocks, {}),
            "|            ULID            |         FROM         |        UNTIL         | RANGE  "
            "| UNTIL-DOWN | #SERIES | #SAMPLES  | #CHUNKS | COMP-LEVEL | COMP-FAILED |         "
            "LABELS         | RESOLUTION | SOURCE  |\n"
            "|----------------------------|----------------------|----------------------|-------"
            "-|------------|---------|-----------|---------|------------|-------------|-----------"
            "-------------|------------|---------|\n"
            "| 01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4 | 2023-11-14T22:13:20Z | 2023-11-15T00:13:20Z | 2h0m0s "
            "| 38h0m0s    | 4       | 480       | 4       | 1          | false       | cluster=pro"
            "d,replica=a | 0s         | sidecar |\n"
            "| 01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5 | 2023-11-15T00:13:20Z | 2023-11-15T02:13:20Z | 2h0m0s "
            "| 238h0m0s   | 1,234   | 1,234,567 | 12,345  | 1          | true        | cluster=pro"
            "d,replica=a | 5m0s       | sidecar |\n");
  // --sort-by compares numbers as numbers; CSV quotes what has commas, TSV does not.
  const std::string csv = FormatBucketInspect(blocks, {{"#SAMPLES"}, "csv"});
  EXPECT_EQ(csv,
            "ULID,FROM,UNTIL,RANGE,UNTIL-DOWN,#SERIES,#SAMPLES,#CHUNKS,COMP-LEVEL,COMP-FAILED,"
            "LABELS,RESOLUTION,SOURCE\n"
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4,2023-11-14T22:13:20Z,2023-11-15T00:13:20Z,2h0m0s,38h0m0s,"
            "4,480,4,1,false,\"cluster=prod,replica=a\",0s,sidecar\n"
            "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N5,2023-11-15T00:13:20Z,2023-11-15T02:13:20Z,2h0m0s,238h0m0s,"
            "\"1,234\",\"1,234,567\",\"12,345\",1,true,\"cluster=prod,replica=a\",5m0s,sidecar\n");
  const std::string tsv = FormatBucketInspect(blocks, {{"#SERIES"}, "tsv"});
  EXPECT_NE(tsv.find("\t1,234\t1,234,567\t12,345\t1\ttrue\tcluster=prod,replica=a\t5m0s\t"),
            std::string::npos)
      << tsv;
  EXPECT_LT(tsv.find("N4"), tsv.find("N5"));  // 4 < 1,234 as numbers
  // Empty, as Thanos prints an empty bucket.
  EXPECT_EQ(
      FormatBucketInspect({}, {}),
      "| ULID | FROM | UNTIL | RANGE | UNTIL-DOWN | #SERIES | #SAMPLES | #CHUNKS | COMP-LEVEL "
      "| COMP-FAILED | LABELS | RESOLUTION | SOURCE |\n"
      "|------|------|-------|-------|------------|---------|----------|---------|-----------"
      "-|-------------|--------|------------|--------|\n");

  const std::string summary = SummarizeBucket(blocks, 0.02);
  EXPECT_NE(summary.find("01HQ3G5ZZ7Q6Q8E5V1X9K2M3N6: partial upload (no meta.json), 0 B\n"),
            std::string::npos);
  EXPECT_NE(summary.find("resolution 0s: 1 blocks, 1.00 GiB\n"), std::string::npos);
  EXPECT_NE(summary.find("resolution 5m0s: 1 blocks, 3.00 MiB\n"), std::string::npos);
  EXPECT_NE(summary.find("total: 3 blocks, 1.00 GiB; estimated storage cost $0.02/month"),
            std::string::npos)
      << summary;
}

}  // namespace
}  // namespace strata::tools
