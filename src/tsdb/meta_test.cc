#include "tsdb/meta.h"

#include <gtest/gtest.h>

namespace strata::tsdb {
namespace {

constexpr char kThanosMeta[] = R"({
	"ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4",
	"minTime": 1700000000000,
	"maxTime": 1700007200000,
	"stats": {"numSamples": 480, "numSeries": 4, "numChunks": 4, "numFloatSamples": 480},
	"compaction": {"level": 1, "sources": ["01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4"]},
	"version": 1,
	"thanos": {
		"version": 1,
		"labels": {"replica": "a", "cluster": "prod"},
		"downsample": {"resolution": 300000},
		"source": "sidecar",
		"segment_files": ["000001"],
		"files": [{"rel_path": "chunks/000001", "size_bytes": 1234}, {"rel_path": "meta.json"}],
		"extensions": {"custom": true}
	},
	"future_field": [1, 2]
})";

TEST(MetaTest, ParsesPrometheusAndThanosFields) {
  auto m = ParseBlockMeta(kThanosMeta, "meta.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->ulid.String(), "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4");
  EXPECT_EQ(m->min_time, 1700000000000);
  EXPECT_EQ(m->max_time, 1700007200000);
  EXPECT_EQ(m->stats.num_samples, 480u);
  EXPECT_EQ(m->compaction.sources.size(), 1u);
  ASSERT_TRUE(m->thanos.has_value());
  EXPECT_EQ(m->thanos->labels.String(), R"({cluster="prod", replica="a"})");
  EXPECT_EQ(m->thanos->downsample_resolution, 300000);
  EXPECT_EQ(m->thanos->source, "sidecar");
  ASSERT_EQ(m->thanos->files.size(), 2u);
  EXPECT_EQ(m->thanos->files[0].size_bytes, 1234);
}

TEST(MetaTest, RoundTripKeepsUnknownFieldsAndAppliesChanges) {
  auto m = ParseBlockMeta(kThanosMeta, "meta.json");
  ASSERT_TRUE(m.ok());
  m->compaction.level = 2;
  m->stats.num_samples = 0;  // omitted when zero, and the old value must not come back
  std::string out = SerializeBlockMeta(*m);
  EXPECT_NE(out.find("\"future_field\""), std::string::npos);
  EXPECT_NE(out.find("\"numFloatSamples\": 480"), std::string::npos);
  EXPECT_NE(out.find("\"extensions\""), std::string::npos);
  EXPECT_EQ(out.find("\"numSamples\""), std::string::npos);
  EXPECT_NE(out.find("\n\t\"ulid\""), std::string::npos);  // tab-indented like Prometheus
  auto again = ParseBlockMeta(out, "x");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->compaction.level, 2);
  EXPECT_EQ(again->thanos->labels, m->thanos->labels);
}

TEST(MetaTest, MalformedInputGivesPreciseErrors) {
  struct Case {
    const char* json;
    const char* want;
  } cases[] = {
      {"{", "invalid JSON at byte"},
      {"[]", "not a JSON object"},
      {R"({"version": 2, "ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", "minTime": 0, "maxTime": 1})",
       "unexpected meta file version 2"},
      {R"({"version": 1, "ulid": "nope", "minTime": 0, "maxTime": 1})", "\"ulid\""},
      {R"({"version": 1, "ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", "maxTime": 1})",
       "\"minTime\" is missing"},
      {R"({"version": 1, "ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", "minTime": "x", "maxTime": 1})",
       "\"minTime\" has the wrong type"},
      {R"({"version": 1, "ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", "minTime": 5, "maxTime": 1})",
       "before minTime"},
      {R"({"version": 1, "ulid": "01HQ3G5ZZ7Q6Q8E5V1X9K2M3N4", "minTime": 0, "maxTime": 1,
           "thanos": {"labels": {"a": 1}}})",
       "thanos.labels.a"},
  };
  for (const auto& c : cases) {
    auto m = ParseBlockMeta(c.json, "blk/meta.json");
    ASSERT_FALSE(m.ok()) << c.json;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption);
    EXPECT_NE(m.status().message().find("blk/meta.json"), std::string::npos);
    EXPECT_NE(m.status().message().find(c.want), std::string::npos) << m.status().message();
  }
}

}  // namespace
}  // namespace strata::tsdb
