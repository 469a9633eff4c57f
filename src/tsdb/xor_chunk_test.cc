#include "tsdb/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace strata::tsdb {
namespace {

struct Sample {
  int64_t t;
  double v;
};

std::vector<Sample> Decode(std::string_view data) {
  std::vector<Sample> out;
  XorIterator it(data);
  while (it.Next()) out.push_back({it.t(), it.v()});
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

// Every chunk decoded at once by XorDecodeAll into *out; its status.
Status DecodeAllInto(const std::vector<std::string>& chunks, std::vector<Sample>* out) {
  std::vector<std::string_view> views(chunks.begin(), chunks.end());
  size_t total = 0;
  for (auto c : views) total += XorNumSamples(c);
  std::vector<int64_t> ts(total);
  std::vector<double> vs(total);
  Status st = XorDecodeAll(views.data(), views.size(), ts.data(), vs.data());
  for (size_t i = 0; i < total; i++) out->push_back({ts[i], vs[i]});
  return st;
}

std::vector<Sample> DecodeAll(const std::vector<std::string>& chunks) {
  std::vector<Sample> out;
  Status st = DecodeAllInto(chunks, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

void ExpectSame(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(got[i].t, want[i].t) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(want[i].v)) << i;
  }
}

void ExpectRoundTrip(const std::vector<Sample>& in) {
  XorAppender app;
  for (const auto& s : in) app.Append(s.t, s.v);
  EXPECT_EQ(app.num_samples(), in.size());
  ExpectSame(Decode(app.Bytes()), in);
  ExpectSame(DecodeAll({app.Bytes()}), in);
}

// Random scrape-like chunks of 0 to 130 samples.
std::vector<std::string> RandomChunks(size_t n, std::mt19937_64& rng) {
  std::vector<std::string> chunks;
  int64_t t = 1600000000000;
  for (size_t c = 0; c < n; c++) {
    XorAppender app;
    const size_t samples = rng() % 131;
    double v = static_cast<double>(rng() % 1000);
    for (size_t i = 0; i < samples; i++) {
      t += 15000 + static_cast<int64_t>(rng() % 11) - 5;
      if (rng() % 4 == 0) v += static_cast<double>(rng() % 1000) / 7;
      app.Append(t, v);
    }
    chunks.push_back(app.Bytes());
  }
  return chunks;
}

TEST(XorChunkTest, KnownBytesMatchPrometheus) {
  // Two samples, encoded by hand from Prometheus's layout:
  // count=2 | varint(1000)=d0 0f | 1.0 bits | uvarint(15)=0f | xor bits.
  XorAppender app;
  app.Append(1000, 1.0);
  app.Append(1015, 1.0);
  std::string want("\x00\x02\xd0\x0f\x3f\xf0\x00\x00\x00\x00\x00\x00\x0f\x00", 14);
  EXPECT_EQ(app.Bytes(), want);
}

TEST(XorChunkTest, RoundTripsRegularAndIrregularData) {
  std::mt19937_64 rng(42);
  std::vector<Sample> in;
  int64_t t = 1600000000000;
  double v = 0;
  for (int i = 0; i < 120; i++) {
    t += 15000 + static_cast<int64_t>(rng() % 3) - 1;  // jitter
    v += static_cast<double>(rng() % 100);
    in.push_back({t, v});
  }
  ExpectRoundTrip(in);
}

TEST(XorChunkTest, RoundTripsAllTimestampBuckets) {
  std::vector<Sample> in = {{0, 1}, {10, 2}};
  int64_t t = 10, delta = 10;
  for (int64_t dod : {0L, 1L, -1L, 8192L, -8191L, 8193L, 65536L, -65535L, 65537L, 524288L, -524287L,
                      524289L, 1L << 40, -(1L << 39), 0L}) {
    delta += dod;
    t += delta;
    in.push_back({t, static_cast<double>(t)});
  }
  ExpectRoundTrip(in);
}

TEST(XorChunkTest, RoundTripsSpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  ExpectRoundTrip({{-5, std::nan("")},
                   {1, inf},
                   {2, -inf},
                   {3, 0.0},
                   {4, -0.0},
                   {5, 5e-324},
                   {6, std::numeric_limits<double>::max()},
                   {7, std::bit_cast<double>(uint64_t{0x7ff8000000000001})},  // stale marker
                   {8, 1.0},
                   {9, 1.0}});
}

TEST(XorChunkTest, SingleSample) { ExpectRoundTrip({{std::numeric_limits<int64_t>::min(), 3.5}}); }

TEST(XorChunkTest, Seek) {
  XorAppender app;
  for (int i = 0; i < 100; i++) app.Append(i * 10, i);
  std::string chunk = app.Bytes();
  XorIterator it(chunk);
  ASSERT_TRUE(it.Seek(455));
  EXPECT_EQ(it.t(), 460);
  ASSERT_TRUE(it.Seek(100));  // seeking backwards stays put
  EXPECT_EQ(it.t(), 460);
  EXPECT_FALSE(it.Seek(5000));
  EXPECT_TRUE(it.status().ok());
}

TEST(XorChunkTest, TruncatedChunkFailsCleanly) {
  XorAppender app;
  for (int i = 0; i < 50; i++) app.Append(i * 1000 + (i % 7) * 13, i * 1.5);
  std::string full = app.Bytes();
  for (size_t len = 0; len < full.size(); len++) {
    XorIterator it(std::string_view(full).substr(0, len));
    int n = 0;
    while (it.Next()) n++;
    EXPECT_LT(n, 50) << len;
    EXPECT_FALSE(it.status().ok()) << len;
  }
}

TEST(XorChunkTest, DecodeAllEqualsTheIteratorOverManyChunksOfEverySize) {
  std::mt19937_64 rng(7);
  for (size_t n : {1, 2, 3, 4, 5, 9, 40}) {
    auto chunks = RandomChunks(n, rng);
    chunks.push_back(XorAppender().Bytes());  // an empty chunk among them
    std::vector<Sample> want;
    for (const auto& c : chunks) {
      auto one = Decode(c);
      want.insert(want.end(), one.begin(), one.end());
    }
    ExpectSame(DecodeAll(chunks), want);
  }
}

TEST(XorChunkTest, DecodeAllReportsATruncatedChunkAsTheIteratorDoes) {
  std::mt19937_64 rng(9);
  for (size_t bad : {0, 3, 5}) {
    auto chunks = RandomChunks(6, rng);
    XorAppender app;
    for (int i = 0; i < 120; i++) app.Append(i * 15000 + (i % 7) * 13, i * 1.5 + (i % 3));
    const std::string full = app.Bytes();
    for (size_t len : {size_t{1}, size_t{5}, full.size() / 2, full.size() - 3}) {
      chunks[bad] = full.substr(0, len);
      std::vector<Sample> ignored;
      Status st = DecodeAllInto(chunks, &ignored);
      XorIterator it(chunks[bad]);
      while (it.Next()) {
      }
      EXPECT_FALSE(st.ok()) << bad << " " << len;
      EXPECT_EQ(st.ToString(), it.status().ToString()) << bad << " " << len;
    }
  }
}

TEST(XorChunkTest, ChunkEncodingsAreRecognised) {
  EXPECT_TRUE(CheckChunkEncoding(1).ok());
  EXPECT_EQ(CheckChunkEncoding(2).code(), StatusCode::kUnsupported);
  EXPECT_EQ(CheckChunkEncoding(3).code(), StatusCode::kUnsupported);
  EXPECT_EQ(CheckChunkEncoding(0).code(), StatusCode::kCorruption);
  EXPECT_EQ(CheckChunkEncoding(9).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace strata::tsdb
