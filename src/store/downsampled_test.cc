// The store gateway over downsampled blocks, end to end through gRPC and the PromQL engine:
// which resolution is read for which max_source_resolution, and how close queries over 5m data
// come to the same queries over raw data.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "block/block.h"
#include "downsample/aggregate.h"
#include "downsample/downsample_block.h"
#include "objstore/filesystem.h"
#include "promql/engine.h"
#include "store/bucket_store.h"
#include "storeapi/client.h"
#include "storeapi/server.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::store {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;

// Reads with a fixed max_source_resolution, as the querier does for one query.
class ResolutionQuerier : public storage::Querier {
 public:
  ResolutionQuerier(storage::Querier* inner, int64_t res) : inner_(inner), res_(res) {}
  std::unique_ptr<storage::SeriesSet> Select(const storage::SelectHints& h,
                                             const Matchers& m) override {
    storage::SelectHints with = h;
    with.max_resolution_ms = res_;
    return inner_->Select(with, m);
  }

 private:
  storage::Querier* inner_;
  int64_t res_;
};

class DownsampledStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() + "/bucket");
    bucket_ = std::shared_ptr<objstore::Bucket>(
        objstore::NewFilesystemBucket(tmp_.path() + "/bucket").value());
    // 48h of a gauge and a counter (reset every 10h) scraped every 15s, its 5m copy, and 2h
    // more of raw data after it.
    const std::string raw = Write(0, 48 * kH);
    auto m5 = downsample::DownsampleBlock(raw, tmp_.path() + "/local", downsample::kRes5m);
    ASSERT_TRUE(m5.ok()) << m5.status().ToString();
    ASSERT_TRUE(block::UploadBlock(*bucket_, tmp_.path() + "/local/" + m5->ulid.String()).ok());
    // Its 1h copy (the compactor makes one only from 10 days; DownsampleBlock has no minimum).
    auto m1h = downsample::DownsampleBlock(tmp_.path() + "/local/" + m5->ulid.String(),
                                           tmp_.path() + "/local", downsample::kRes1h);
    ASSERT_TRUE(m1h.ok()) << m1h.status().ToString();
    ASSERT_TRUE(block::UploadBlock(*bucket_, tmp_.path() + "/local/" + m1h->ulid.String()).ok());
    Write(48 * kH, 50 * kH);

    BucketStoreOptions o;
    o.data_dir = tmp_.path() + "/data";
    store_ = std::make_shared<BucketStore>(bucket_, o, nullptr, &metrics_);
    ASSERT_TRUE(store_->Sync().ok());
    ASSERT_EQ(store_->NumBlocks(), 4u);
    storeapi::ServerOptions so;
    so.address = "127.0.0.1:0";
    auto server = storeapi::StoreServer::Start(so, store_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = storeapi::StoreClient::Connect("127.0.0.1:" + std::to_string(server_->port()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::string Write(int64_t from, int64_t to) {
    const std::string parent = tmp_.path() + "/local";
    fs::create_directories(parent);
    tsdb::BlockWriter w(parent);
    // Scrapes 7s past each 15s mark: no sample sits on a query's range boundary.
    for (int64_t t = from + 7000; t < to; t += 15000) {
      const double g = 20 + 5 * std::sin(static_cast<double>(t) / 3e6) + (t / 15000 % 5);
      counter_ = t % (10 * kH) == 7000 ? 0 : counter_ + static_cast<double>(1 + t / 15000 % 4);
      EXPECT_TRUE(w.Append(Labels{{"__name__", "temperature"}}, t, g).ok());
      EXPECT_TRUE(w.Append(Labels{{"__name__", "requests_total"}}, t, counter_).ok());
    }
    tsdb::ThanosMeta th;
    th.labels = Labels{{"cluster", "eu"}};
    th.source = "sidecar";
    auto meta = w.Flush(th);
    EXPECT_TRUE(meta.ok());
    const std::string dir = parent + "/" + meta->ulid.String();
    EXPECT_TRUE(block::UploadBlock(*bucket_, dir, &th).ok());
    return dir;
  }

  // Encodings of the chunks the store sends for one series at max_resolution.
  std::vector<uint8_t> Encodings(int64_t max_resolution) {
    std::vector<uint8_t> out;
    Status st = store_->Series({{*Matcher::Make(MatchType::kEqual, "__name__", "temperature")},
                                0,
                                50 * kH,
                                max_resolution},
                               [&](const Labels&, const std::vector<storeapi::RawChunk>& cs) {
                                 for (const auto& c : cs) out.push_back(c.encoding);
                                 return Status::OK();
                               },
                               {});
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  promql::QueryResult Range(const std::string& q, int64_t res) {
    ResolutionQuerier rq(client_.get(), res);
    promql::Engine engine;
    // Evaluated on the hour: a range of whole hours then covers whole 5m and 1h windows (they
    // end 1ms before a multiple of their resolution).
    auto r = engine.RangeQuery(rq, q, 6 * kH, 47 * kH, kH);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : promql::QueryResult{};
  }

  struct Case {
    std::string query;
    double rel_tolerance;
  };
  // Each query at resolution res against the same query over raw data.
  void ExpectAgreement(const std::vector<Case>& cases, int64_t res) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.query);
      auto raw = Range(c.query, 0);
      auto down = Range(c.query, res);
      ASSERT_EQ(raw.matrix.size(), 1u);
      ASSERT_EQ(down.matrix.size(), 1u);
      const auto& rp = raw.matrix[0].points;
      const auto& dp = down.matrix[0].points;
      ASSERT_EQ(rp.size(), 42u);
      ASSERT_EQ(dp.size(), rp.size());
      for (size_t i = 0; i < rp.size(); i++) {
        EXPECT_EQ(dp[i].t, rp[i].t);
        EXPECT_NEAR(dp[i].v, rp[i].v, c.rel_tolerance * std::abs(rp[i].v)) << "at " << rp[i].t;
      }
    }
  }

  tsdb::TempDir tmp_;
  std::shared_ptr<objstore::Bucket> bucket_;
  Registry metrics_;
  std::shared_ptr<BucketStore> store_;
  std::unique_ptr<storeapi::StoreServer> server_;
  std::unique_ptr<storeapi::StoreClient> client_;
  double counter_ = 0;
};

TEST_F(DownsampledStoreTest, PicksTheCoarsestResolutionAndFillsGapsWithRaw) {
  // Raw only at 0 (Thanos's default).
  for (uint8_t e : Encodings(0)) EXPECT_EQ(e, 1);
  // At 5m and above: aggregate chunks for the first 48h, raw chunks for the 2h without a 5m
  // block.
  for (int64_t res : {downsample::kRes5m, downsample::kRes1h}) {
    auto enc = Encodings(res);
    ASSERT_FALSE(enc.empty());
    const auto aggr = std::count(enc.begin(), enc.end(), tsdb::kAggrChunkEncoding);
    EXPECT_GT(aggr, 0);
    EXPECT_EQ(std::count(enc.begin(), enc.end(), 1), 4);  // 2h of 15s samples: 4 raw chunks
    EXPECT_EQ(static_cast<size_t>(aggr) + 4, enc.size());
  }
}

// Tolerances: on whole windows, count, sum, min and max are exact and avg equal up to rounding
// (every window holds the same number of samples); rate() sees one counter value per window
// instead of per 15s: within 3% over 1h at 5m, within 5% over 6h at 1h.
TEST_F(DownsampledStoreTest, QueriesOnFiveMinuteDataAgreeWithRawData) {
  ExpectAgreement({{"count_over_time(temperature[1h])", 0},
                   {"sum_over_time(temperature[1h])", 1e-12},
                   {"min_over_time(temperature[1h])", 0},
                   {"max_over_time(temperature[1h])", 0},
                   {"avg_over_time(temperature[1h])", 1e-12},
                   {"rate(requests_total[1h])", 0.03},
                   {"increase(requests_total[1h])", 0.03}},
                  downsample::kRes5m);
}

TEST_F(DownsampledStoreTest, QueriesOnOneHourDataAgreeWithRawData) {
  ExpectAgreement({{"count_over_time(temperature[2h])", 0},
                   {"sum_over_time(temperature[2h])", 1e-12},
                   {"min_over_time(temperature[2h])", 0},
                   {"max_over_time(temperature[2h])", 0},
                   {"avg_over_time(temperature[2h])", 1e-12},
                   {"rate(requests_total[6h])", 0.05}},
                  downsample::kRes1h);
}

}  // namespace
}  // namespace strata::store
