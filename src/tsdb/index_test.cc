#include <gtest/gtest.h>

#include <set>

#include "base/file.h"
#include "tsdb/index_reader.h"
#include "tsdb/index_writer.h"
#include "tsdb/test_util.h"

namespace strata::tsdb {
namespace {

Matcher M(MatchType t, const char* n, const char* v) { return *Matcher::Make(t, n, v); }

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    series_ = {
        Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "a"}},
        Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "b"}},
        Labels{{"__name__", "up"}, {"job", "db"}, {"instance", "c"}, {"env", "prod"}},
        Labels{{"__name__", "requests_total"}, {"job", "api"}, {"instance", "a"}},
    };
    std::sort(series_.begin(), series_.end());
    std::set<std::string> syms;
    for (const auto& s : series_) {
      for (const auto& l : s) {
        syms.insert(l.name);
        syms.insert(l.value);
      }
    }
    path_ = dir_.path() + "/index";
    auto w = IndexWriter::Create(path_);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddSymbols({syms.begin(), syms.end()}).ok());
    uint64_t ref = 0;
    for (size_t i = 0; i < series_.size(); i++) {
      std::vector<ChunkMeta> chunks = {
          {ref, 1000 * int64_t(i), 1000 * int64_t(i) + 500},
          {ref + 100, 1000 * int64_t(i) + 600, 1000 * int64_t(i) + 900}};
      ref += 1000;
      ASSERT_TRUE((*w)->AddSeries(series_[i], chunks).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  std::vector<Labels> Select(const Matchers& ms, const IndexReader& r) {
    auto p = r.PostingsForMatchers(ms);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    std::vector<Labels> out;
    for (uint32_t ref : *p) out.push_back(*r.ReadSeriesLabels(ref));
    return out;
  }

  // What a linear scan with Matcher::Matches selects: the reference semantics.
  std::vector<Labels> Scan(const Matchers& ms) {
    std::vector<Labels> out;
    for (const auto& s : series_) {
      if (std::all_of(ms.begin(), ms.end(),
                      [&](const Matcher& m) { return m.Matches(s.Get(m.name())); })) {
        out.push_back(s);
      }
    }
    return out;
  }

  TempDir dir_;
  std::string path_;
  std::vector<Labels> series_;
};

TEST_F(IndexTest, ReadsBackSeriesChunksAndLabelValues) {
  auto r = IndexReader::Open(path_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto all = (*r)->ReadPostings("", "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), series_.size());
  for (size_t i = 0; i < series_.size(); i++) {
    auto s = (*r)->ReadSeries((*all)[i]);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->labels, series_[i]);
    ASSERT_EQ(s->chunks.size(), 2u);
    EXPECT_EQ(s->chunks[0], (ChunkMeta{1000 * i, 1000 * int64_t(i), 1000 * int64_t(i) + 500}));
    EXPECT_EQ(s->chunks[1].ref, 1000 * i + 100);
  }
  EXPECT_EQ((*r)->LabelValues("job"), (std::vector<std::string_view>{"api", "db"}));
  EXPECT_EQ((*r)->LabelNames(),
            (std::vector<std::string_view>{"__name__", "env", "instance", "job"}));
  EXPECT_TRUE((*r)->LabelValues("nope").empty());
}

TEST_F(IndexTest, MatchersFollowPrometheusSemantics) {
  auto r = IndexReader::Open(path_);
  ASSERT_TRUE(r.ok());
  std::vector<Matchers> cases = {
      {M(MatchType::kEqual, "__name__", "up")},
      {M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "job", "api")},
      {M(MatchType::kRegexMatch, "job", "api|db")},
      {M(MatchType::kRegexMatch, "instance", "[ab]")},
      {M(MatchType::kEqual, "env", "")},            // series without env
      {M(MatchType::kNotEqual, "env", "")},         // series with env
      {M(MatchType::kRegexMatch, "env", "prod|")},  // env=prod or no env
      {M(MatchType::kRegexNoMatch, "job", "a.*")},
      {M(MatchType::kRegexMatch, "", ".*")},
      {M(MatchType::kEqual, "job", "missing")},
      {M(MatchType::kEqual, "__name__", "up"), M(MatchType::kRegexMatch, "instance", ".+")},
  };
  for (const auto& ms : cases) {
    EXPECT_EQ(Select(ms, **r), Scan(ms)) << MatchersString(ms);
  }
}

TEST_F(IndexTest, CorruptionIsDetected) {
  std::string data = *ReadFile(path_);
  auto open_bytes = [](const std::string& b) { return IndexReader::FromBytes(b, "idx"); };

  std::string bad_magic = data;
  bad_magic[0] = 0;
  auto r = open_bytes(bad_magic);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("idx at offset 0: invalid magic"), std::string::npos);

  EXPECT_FALSE(open_bytes(data.substr(0, 30)).ok());  // truncated: TOC unreadable

  std::string bad_toc = data;
  bad_toc[bad_toc.size() - 10] ^= 1;
  r = open_bytes(bad_toc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("table of contents checksum"), std::string::npos);

  // A flipped byte inside the first series: caught by its CRC when read.
  auto good = open_bytes(data);
  ASSERT_TRUE(good.ok());
  uint64_t series_off = (*good)->toc().series;
  series_off = (series_off + 15) / 16 * 16;
  std::string bad_series = data;
  bad_series[series_off + 3] ^= 0x55;
  auto r2 = open_bytes(bad_series);
  ASSERT_TRUE(r2.ok());
  auto s = (*r2)->ReadSeries(static_cast<uint32_t>(series_off / 16));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("at offset " + std::to_string(series_off)),
            std::string::npos);
  EXPECT_FALSE((*good)->ReadSeries(1u << 30).ok());  // reference outside the file
}

TEST(IndexWriterTest, RejectsOutOfOrderSeriesAndUnknownSymbols) {
  TempDir dir;
  auto w = IndexWriter::Create(dir.path() + "/index");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddSymbols({"a", "b", "x"}).ok());
  ASSERT_TRUE((*w)->AddSeries(Labels{{"b", "x"}}, {}).ok());
  EXPECT_FALSE((*w)->AddSeries(Labels{{"a", "x"}}, {}).ok());
  EXPECT_FALSE((*w)->AddSeries(Labels{{"b", "zzz"}}, {}).ok());
  EXPECT_FALSE((*w)->AddSymbols({"b", "a"}).ok());
}

}  // namespace
}  // namespace strata::tsdb
