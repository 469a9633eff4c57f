#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "downsample/aggregate.h"
#include "downsample/downsample_block.h"
#include "downsample/iterators.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/block.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::downsample {
namespace {

using tsdb::AggrType;
using Samples = std::vector<std::pair<int64_t, double>>;
const double kStale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});

// The aggregates of an encoded aggregate chunk, by type (absent ones empty).
std::array<Samples, tsdb::kNumAggrTypes> Decode(std::string_view chunk) {
  std::array<Samples, tsdb::kNumAggrTypes> out;
  auto view = tsdb::DecodeAggrChunk(chunk);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  if (!view.ok()) return out;
  for (size_t i = 0; i < tsdb::kNumAggrTypes; i++) {
    if ((*view)[i].encoding == 0) continue;
    tsdb::XorIterator it((*view)[i].data);
    while (it.Next()) out[i].push_back({it.t(), it.v()});
    EXPECT_TRUE(it.status().ok());
  }
  return out;
}

std::vector<Sample> Raw(const Samples& s) {
  std::vector<Sample> out;
  for (auto [t, v] : s) out.push_back({t, v});
  return out;
}

std::string Xor(const Samples& s) {
  tsdb::XorAppender app;
  for (auto [t, v] : s) app.Append(t, v);
  return app.Bytes();
}

// Expected values are those of Thanos's own downsampling tests (pkg/compact/downsample).
TEST(DownsampleTest, RawSeriesIntoWindowsAsThanosDoes) {
  auto out = DownsampleRaw(Raw({{20, 1},
                                {40, 2},
                                {60, 3},
                                {80, 1},
                                {100, 2},
                                {101, kStale},
                                {120, 5},
                                {180, 10},
                                {250, 2},
                                {260, 1},
                                {300, 10},
                                {340, 15},
                                {380, 25},
                                {420, 35},
                                {460, kStale},
                                {500, 10},
                                {540, 3}}),
                           100);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].min_time, 99);
  EXPECT_EQ(out[0].max_time, 540);
  auto a = Decode(out[0].data);
  EXPECT_EQ(a[0], (Samples{{99, 4}, {199, 3}, {299, 2}, {399, 3}, {499, 1}, {540, 2}}));
  EXPECT_EQ(a[1], (Samples{{99, 7}, {199, 17}, {299, 3}, {399, 50}, {499, 35}, {540, 13}}));
  EXPECT_EQ(a[2], (Samples{{99, 1}, {199, 2}, {299, 1}, {399, 10}, {499, 35}, {540, 3}}));
  EXPECT_EQ(a[3], (Samples{{99, 3}, {199, 10}, {299, 2}, {399, 25}, {499, 35}, {540, 10}}));
  // First raw value, windows' running counter (resets added back), last raw value again.
  EXPECT_EQ(
      a[4],
      (Samples{{20, 1}, {99, 4}, {199, 13}, {299, 16}, {399, 40}, {499, 50}, {540, 63}, {540, 3}}));
}

TEST(DownsampleTest, AggregatesIntoCoarserWindowsKeepingCounterResets) {
  tsdb::AggrChunkParts parts;
  const Samples same = {{199, 5}, {299, 1}, {399, 10}, {400, 3}, {499, 10}, {699, 0}, {999, 100}};
  const Samples extremes = {{199, 5},  {299, 1}, {399, 10}, {400, -3},
                            {499, 10}, {699, 0}, {999, 100}};
  parts[0] = Xor(same);
  parts[1] = Xor(same);
  parts[2] = Xor(extremes);
  parts[3] = Xor(extremes);
  parts[4] = Xor({{99, 100},
                  {299, 150},
                  {499, 210},
                  {499, 10},
                  {599, 20},
                  {799, 50},
                  {999, 120},
                  {999, 50},
                  {1099, 40},
                  {1199, 80},
                  {1299, 110}});
  const std::string in = tsdb::EncodeAggrChunk(parts);
  auto out = DownsampleAggr({in}, 99, 1299, 100, 500);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  auto a = Decode((*out)[0].data);
  EXPECT_EQ(a[0], (Samples{{499, 29}, {999, 100}}));
  EXPECT_EQ(a[1], (Samples{{499, 29}, {999, 100}}));
  EXPECT_EQ(a[2], (Samples{{499, -3}, {999, 0}}));
  EXPECT_EQ(a[3], (Samples{{499, 10}, {999, 100}}));
  EXPECT_EQ(a[4], (Samples{{99, 100}, {499, 210}, {999, 320}, {1299, 430}, {1299, 110}}));
}

TEST(DownsampleTest, AggrChunkFormatRoundTripsAndRejectsDamage) {
  tsdb::AggrChunkParts parts;
  parts[1] = Xor({{1, 2}});
  parts[4] = Xor({{1, 2}, {5, 6}});
  const std::string b = tsdb::EncodeAggrChunk(parts);
  // count absent: a lone zero length; sum: length, XOR encoding byte, data.
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(static_cast<size_t>(b[1]), parts[1]->size());
  EXPECT_EQ(b[2], 1);
  auto v = tsdb::DecodeAggrChunk(b);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].encoding, 0);
  EXPECT_EQ((*v)[1].data, *parts[1]);
  EXPECT_EQ((*v)[4].data, *parts[4]);
  EXPECT_EQ(tsdb::AggrChunkSamples(b), 0u);  // samples are those of the count aggregate
  for (size_t cut = 0; cut < b.size(); cut++) {
    auto r = tsdb::DecodeAggrChunk(std::string_view(b).substr(0, cut));
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_TRUE(r.status().IsCorruption());
  }
  std::string bad = b;
  bad[2] = 7;  // unknown encoding of the sum part
  auto r = tsdb::DecodeAggrChunk(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sum"), std::string::npos) << r.status().ToString();
}

std::vector<std::unique_ptr<storage::SampleIterator>> Iters(const std::vector<std::string>& c) {
  std::vector<std::unique_ptr<storage::SampleIterator>> out;
  for (const auto& s : c) out.push_back(NewXorSampleIterator(s));
  return out;
}

TEST(DownsampleTest, CounterResetsIteratorFindsResetsBetweenChunks) {
  // Chunk 1 ends at raw value 10 (its last sample repeats the timestamp); chunk 2 starts at 20:
  // no reset. Chunk 2 ends at 50, chunk 3 starts at 40: a reset.
  std::vector<std::string> chunks = {Xor({{99, 100}, {299, 150}, {499, 210}, {499, 10}}),
                                     Xor({{599, 20}, {799, 50}, {999, 120}, {999, 50}}),
                                     Xor({{1099, 40}, {1199, 80}, {1299, 110}})};
  CounterResetsIterator it(Iters(chunks));
  Samples got;
  while (it.Next()) got.push_back({it.t(), it.v()});
  ASSERT_TRUE(it.status().ok());
  EXPECT_EQ(got, (Samples{{99, 100},
                          {299, 150},
                          {499, 210},
                          {599, 220},
                          {799, 250},
                          {999, 320},
                          {1099, 360},
                          {1199, 400},
                          {1299, 430}}));
  // Seeking steps through every sample, so resets before the target still count.
  CounterResetsIterator seek(Iters(chunks));
  ASSERT_TRUE(seek.Seek(1100));
  EXPECT_EQ(seek.t(), 1199);
  EXPECT_EQ(seek.v(), 400);
  EXPECT_FALSE(seek.Seek(2000));
  EXPECT_FALSE(seek.Next());
}

TEST(DownsampleTest, AverageIteratorDividesSumByCount) {
  // The iterators read the chunk bytes in place: they must outlive them.
  const std::string counts = Xor({{10, 2}, {20, 4}}), sums = Xor({{10, 3}, {20, 10}});
  AverageIterator it(NewXorSampleIterator(counts), NewXorSampleIterator(sums));
  ASSERT_TRUE(it.Seek(15));
  EXPECT_EQ(it.t(), 20);
  EXPECT_EQ(it.v(), 2.5);
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
  const std::string count = Xor({{10, 2}}), sum = Xor({{11, 3}});
  AverageIterator misaligned(NewXorSampleIterator(count), NewXorSampleIterator(sum));
  EXPECT_FALSE(misaligned.Next());
  EXPECT_TRUE(misaligned.status().IsCorruption()) << misaligned.status().ToString();
}

// A 3-day raw block with a 15s counter (resets every 10h) and a gauge, downsampled to 5m and
// then 1h: every aggregate must equal the same statistics computed straight from the raw
// samples, and the rebuilt counter must grow by exactly the raw data's increase.
TEST(DownsampleTest, BlockToFiveMinutesToOneHourMatchesRawStatistics) {
  tsdb::TempDir dir;
  constexpr int64_t kStep = 15000, kEnd = 72 * 3600 * 1000;
  tsdb::BlockWriter w(dir.path());
  const Labels counter = Labels({{"__name__", "requests_total"}});
  const Labels gauge = Labels({{"__name__", "temperature"}});
  std::vector<Sample> raw_counter, raw_gauge;
  double c = 0;
  for (int64_t t = 0; t < kEnd; t += kStep) {
    c = (t % (10 * 3600 * 1000) == 0) ? 1 : c + static_cast<double>((t / kStep) % 7);
    const double g = 20 + std::sin(static_cast<double>(t) / 1e7) * 5;
    ASSERT_TRUE(w.Append(counter, t, c).ok());
    ASSERT_TRUE(w.Append(gauge, t, g).ok());
    raw_counter.push_back({t, c});
    raw_gauge.push_back({t, g});
  }
  tsdb::ThanosMeta thanos;
  thanos.labels = Labels({{"cluster", "eu"}});
  thanos.source = "sidecar";
  auto raw = w.Flush(thanos);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  const std::string raw_dir = dir.path() + "/" + raw->ulid.String();

  auto m5 = DownsampleBlock(raw_dir, dir.path(), kRes5m);
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  EXPECT_EQ(m5->thanos->downsample_resolution, kRes5m);
  EXPECT_EQ(m5->thanos->source, "compactor");
  EXPECT_EQ(m5->thanos->labels, thanos.labels);
  EXPECT_EQ(m5->min_time, raw->min_time);
  EXPECT_EQ(m5->max_time, raw->max_time);
  EXPECT_EQ(m5->compaction.sources, std::vector<Ulid>{raw->ulid});
  EXPECT_EQ(m5->stats.num_samples, 2u * (kEnd / kRes5m));  // windows of the count aggregate
  auto m1h = DownsampleBlock(dir.path() + "/" + m5->ulid.String(), dir.path(), kRes1h);
  ASSERT_TRUE(m1h.ok()) << m1h.status().ToString();
  EXPECT_EQ(m1h->thanos->downsample_resolution, kRes1h);
  EXPECT_FALSE(DownsampleBlock(dir.path() + "/" + m1h->ulid.String(), dir.path(), kRes5m).ok());

  for (const auto& [meta, res] : {std::pair{*m5, kRes5m}, std::pair{*m1h, kRes1h}}) {
    SCOPED_TRACE(res);
    auto b = tsdb::Block::Open(dir.path() + "/" + meta.ulid.String());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    auto sel = (*b)->Select({}, 0, kEnd);
    ASSERT_TRUE(sel.ok());
    ASSERT_EQ(sel->size(), 2u);
    for (const auto& s : *sel) {
      const auto& rawv = s.labels == counter ? raw_counter : raw_gauge;
      // Expected per-window statistics from the raw samples.
      std::map<int64_t, std::array<double, 4>> want;  // count, sum, min, max
      for (const Sample& r : rawv) {
        auto& w4 =
            want.try_emplace(r.t - r.t % res + res - 1, std::array<double, 4>{0, 0, 1e300, -1e300})
                .first->second;
        w4[0]++;
        w4[1] += r.v;
        w4[2] = std::min(w4[2], r.v);
        w4[3] = std::max(w4[3], r.v);
      }
      std::map<int64_t, std::array<double, 4>> got;
      std::vector<std::unique_ptr<storage::SampleIterator>> counters;
      std::vector<std::string> keep;
      for (const auto& cm : s.chunks) {
        auto d = (*b)->chunks().Chunk(cm.ref);
        ASSERT_TRUE(d.ok());
        ASSERT_EQ(d->encoding, tsdb::kAggrChunkEncoding);
        auto a = Decode(d->data);
        // A chunk's last window is stamped with its last sample rather than the window's end
        // (so chunks never overlap): key windows by their end.
        for (size_t k = 0; k < 4; k++)
          for (auto [t, v] : a[k]) got[t - t % res + res - 1][k] = v;
        keep.push_back(Xor(a[4]));
      }
      ASSERT_EQ(got.size(), want.size());
      for (auto& [t, w4] : want) {
        ASSERT_TRUE(got.count(t)) << t;
        EXPECT_EQ(got[t][0], w4[0]) << t;
        EXPECT_NEAR(got[t][1], w4[1], 1e-6 * std::abs(w4[1])) << t;
        EXPECT_EQ(got[t][2], w4[2]) << t;
        EXPECT_EQ(got[t][3], w4[3]) << t;
      }
      if (s.labels == counter) {
        double increase = 0;
        for (size_t i = 1; i < rawv.size(); i++)
          increase += rawv[i].v >= rawv[i - 1].v ? rawv[i].v - rawv[i - 1].v : rawv[i].v;
        CounterResetsIterator it(Iters(keep));
        double first = std::numeric_limits<double>::quiet_NaN(), lastv = 0;
        while (it.Next()) {
          if (std::isnan(first)) first = it.v();
          lastv = it.v();
        }
        EXPECT_EQ(first, rawv.front().v);
        EXPECT_EQ(lastv - first, increase);
      }
    }
  }
}

TEST(DownsampleTest, CorruptChunkNamesBlockAndSeries) {
  tsdb::TempDir dir;
  tsdb::BlockWriter w(dir.path());
  for (int64_t t = 0; t < 3600 * 1000; t += 15000)
    ASSERT_TRUE(w.Append(Labels({{"__name__", "x"}}), t, 1).ok());
  auto raw = w.Flush();
  ASSERT_TRUE(raw.ok());
  const std::string seg = dir.path() + "/" + raw->ulid.String() + "/chunks/000001";
  {
    FILE* f = std::fopen(seg.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 20, SEEK_SET);
    std::fputc(0x55, f);
    std::fclose(f);
  }
  auto r = DownsampleBlock(dir.path() + "/" + raw->ulid.String(), dir.path(), kRes5m);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(raw->ulid.String()), std::string::npos);
  EXPECT_NE(r.status().message().find("__name__=\"x\""), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace strata::downsample
