#include "relabel/relabel.h"

#include <gtest/gtest.h>

namespace strata::relabel {
namespace {

Labels Apply(const Labels& in, const std::string& yaml) {
  auto cfg = ParseConfigs(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto out = Process(in, *cfg);
  return out ? *out : Labels{{"__dropped__", "true"}};
}

TEST(RelabelTest, KeepDropOnExternalLabels) {
  const Labels eu{{"cluster", "eu-1"}, {"replica", "0"}};
  const Labels us{{"cluster", "us-1"}, {"replica", "0"}};
  const std::string keep = "- action: keep\n  source_labels: [cluster]\n  regex: eu-.*\n";
  EXPECT_EQ(Apply(eu, keep), eu);
  EXPECT_EQ(Apply(us, keep).Get("__dropped__"), "true");
  const std::string drop = "- action: drop\n  source_labels: [cluster]\n  regex: eu-.*\n";
  EXPECT_EQ(Apply(eu, drop).Get("__dropped__"), "true");
  EXPECT_EQ(Apply(us, drop), us);
  // The regex is anchored: "eu" alone does not match "eu-1".
  EXPECT_EQ(
      Apply(eu, "- action: keep\n  source_labels: [cluster]\n  regex: eu\n").Get("__dropped__"),
      "true");
}

TEST(RelabelTest, HashModMatchesPrometheus) {
  // Prometheus's relabel_test: md5("baz") mod 1000 = 976.
  const Labels in{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}};
  Labels out = Apply(in,
                     "- action: hashmod\n  source_labels: [c]\n  target_label: d\n"
                     "  modulus: 1000\n");
  EXPECT_EQ(out.Get("d"), "976");
  // Sharding blocks by __block_id across 2 store gateways keeps each block on exactly one.
  const std::string shard =
      "- action: hashmod\n  source_labels: [__block_id]\n  target_label: shard\n  modulus: 2\n"
      "- action: keep\n  source_labels: [shard]\n  regex: \"%d\"\n";
  for (const char* id :
       {"01HGZ0000000000000000000AA", "01HGZ0000000000000000000AB", "01HGZ0000000000000000000AC"}) {
    int kept = 0;
    for (int s = 0; s < 2; s++) {
      char buf[256];
      std::snprintf(buf, sizeof(buf), shard.c_str(), s);
      auto cfg = ParseConfigs(buf);
      ASSERT_TRUE(cfg.ok());
      kept += Process(Labels{{"__block_id", id}}, *cfg).has_value();
    }
    EXPECT_EQ(kept, 1) << id;
  }
}

TEST(RelabelTest, ReplaceLabelMapAndCase) {
  const Labels in{{"__meta_x", "1"}, {"job", "API"}, {"instance", "h:9090"}};
  Labels out = Apply(in,
                     "- source_labels: [instance]\n  regex: '([^:]+):.*'\n"
                     "  target_label: host\n  replacement: '${1}-x'\n"
                     "- action: labelmap\n  regex: __meta_(.+)\n"
                     "- action: lowercase\n  source_labels: [job]\n  target_label: job\n"
                     "- action: labeldrop\n  regex: __meta_.*\n");
  EXPECT_EQ(out.Get("host"), "h-x");
  EXPECT_EQ(out.Get("x"), "1");
  EXPECT_EQ(out.Get("job"), "api");
  EXPECT_FALSE(out.Has("__meta_x"));
  // A replacement that yields an empty value removes the label.
  out = Apply(in, "- source_labels: [nope]\n  target_label: job\n  replacement: $1\n");
  EXPECT_FALSE(out.Has("job"));
}

TEST(RelabelTest, BadConfigsAreRejectedWithTheEntry) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"- action: explode\n", "entry 1: unknown relabel action \"explode\""},
      {"- action: keep\n  regex: '(('\n", "entry 1: invalid regex"},
      {"- action: keep\n- action: hashmod\n  target_label: x\n",
       "entry 2: relabel configuration for hashmod"},
      {"- action: replace\n", "requires 'target_label'"},
      {"- action: keep\n  bogus: 1\n", "unknown field \"bogus\""},
      {"action: keep\n", "must be a list"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfigs(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().ToString();
  }
  EXPECT_TRUE(ParseConfigs("").ok());
}

}  // namespace
}  // namespace strata::relabel
