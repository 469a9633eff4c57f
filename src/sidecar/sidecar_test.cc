#include <gtest/gtest.h>
#include <snappy.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>

#include "base/crc32c.h"
#include "base/encoding.h"
#include "base/file.h"
#include "httpclient/http_client.h"
#include "objstore/filesystem.h"
#include "prompb/remote.pb.h"
#include "server/http_server.h"
#include "sidecar/prometheus_source.h"
#include "sidecar/remote_read.h"
#include "sidecar/shipper.h"
#include "tsdb/block_writer.h"
#include "tsdb/test_util.h"

namespace strata::sidecar {
namespace {

namespace fs = std::filesystem;

Matcher M(MatchType t, const std::string& n, const std::string& v) {
  return Matcher::Make(t, n, v).value();
}

// One frame of a streamed remote read response, as Prometheus writes it.
std::string Frame(const prometheus::ChunkedReadResponse& msg) {
  const std::string payload = msg.SerializeAsString();
  Encoder e;
  e.PutUvarint(payload.size());
  std::string out = e.buf();
  const uint32_t crc = Crc32c(payload);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(crc >> shift));
  return out + payload;
}

prometheus::ChunkedReadResponse SeriesFrame(const Labels& labels,
                                            const std::vector<std::string>& chunks,
                                            int64_t first_min = 0) {
  prometheus::ChunkedReadResponse r;
  auto* s = r.add_chunked_series();
  for (const auto& l : labels) {
    auto* pl = s->add_labels();
    pl->set_name(l.name);
    pl->set_value(l.value);
  }
  int64_t t = first_min;
  for (const auto& data : chunks) {
    auto* c = s->add_chunks();
    c->set_min_time_ms(t);
    c->set_max_time_ms(t + 99);
    c->set_type(prometheus::Chunk::XOR);
    c->set_data(data);
    t += 100;
  }
  return r;
}

TEST(RemoteReadTest, RequestIsSnappyProtobufAskingForStreamedChunks) {
  const std::string body = EncodeReadRequest(
      {M(MatchType::kEqual, "__name__", "up"), M(MatchType::kRegexNoMatch, "job", "a|b")}, 1000,
      2000);
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  prometheus::ReadRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.accepted_response_types_size(), 1);
  EXPECT_EQ(req.accepted_response_types(0), prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  ASSERT_EQ(req.queries_size(), 1);
  const auto& q = req.queries(0);
  EXPECT_EQ(q.start_timestamp_ms(), 1000);
  EXPECT_EQ(q.end_timestamp_ms(), 2000);
  ASSERT_EQ(q.matchers_size(), 2);
  EXPECT_EQ(q.matchers(1).type(), prometheus::LabelMatcher::NRE);
  EXPECT_EQ(q.matchers(1).name(), "job");
  EXPECT_EQ(q.matchers(1).value(), "a|b");
}

TEST(RemoteReadTest, DecodesFramesFedInAnyPieces) {
  const std::string body = Frame(SeriesFrame({{"__name__", "a"}}, {"c1", "c2"})) +
                           Frame(SeriesFrame({{"__name__", "b"}, {"x", "1"}}, {"c3"}, 500));
  for (size_t piece : {size_t{1}, size_t{7}, body.size()}) {
    std::vector<std::pair<Labels, std::vector<RemoteChunk>>> got;
    ChunkedResponseDecoder d([&](Labels l, std::vector<RemoteChunk> c) {
      got.emplace_back(std::move(l), std::move(c));
      return Status::OK();
    });
    for (size_t i = 0; i < body.size(); i += piece)
      ASSERT_TRUE(d.Feed(std::string_view(body).substr(i, piece)).ok());
    ASSERT_TRUE(d.Finish().ok());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, Labels({{"__name__", "a"}}));
    ASSERT_EQ(got[0].second.size(), 2u);
    EXPECT_EQ(got[0].second[1].data, "c2");
    EXPECT_EQ(got[0].second[1].min_time, 100);
    EXPECT_EQ(got[0].second[1].encoding, 1);
    EXPECT_EQ(got[1].second[0].min_time, 500);
  }
}

TEST(RemoteReadTest, CorruptionIsReportedWithTheFrameOffset) {
  const std::string f1 = Frame(SeriesFrame({{"__name__", "a"}}, {"c1"}));
  std::string f2 = Frame(SeriesFrame({{"__name__", "b"}}, {"c2"}));
  f2.back() ^= 0x55;
  auto noop = [](Labels, std::vector<RemoteChunk>) { return Status::OK(); };
  {
    ChunkedResponseDecoder d(noop);
    Status st = d.Feed(f1 + f2);
    EXPECT_TRUE(st.IsCorruption());
    EXPECT_NE(st.message().find("frame at byte " + std::to_string(f1.size())), std::string::npos)
        << st.ToString();
    EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos);
  }
  {
    ChunkedResponseDecoder d(noop);
    ASSERT_TRUE(d.Feed(f1.substr(0, f1.size() - 3)).ok());
    Status st = d.Finish();
    EXPECT_TRUE(st.IsCorruption());
    EXPECT_NE(st.message().find("truncated frame at byte 0"), std::string::npos) << st.ToString();
  }
  {
    ChunkedResponseDecoder d(noop);
    Encoder e;
    e.PutUvarint(ChunkedResponseDecoder::kMaxFrameBytes + 1);
    Status st = d.Feed(e.buf());
    EXPECT_TRUE(st.IsCorruption());
    EXPECT_NE(st.message().find("limit"), std::string::npos) << st.ToString();
  }
  {
    // A valid frame whose payload is not a protobuf message.
    ChunkedResponseDecoder d(noop);
    std::string junk = "\xff\xff\xff";
    Encoder e;
    e.PutUvarint(junk.size());
    std::string frame = e.buf();
    const uint32_t crc = Crc32c(junk);
    for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(crc >> shift));
    Status st = d.Feed(frame + junk);
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  }
  {
    // Invalid label names from the server are rejected, never passed on.
    ChunkedResponseDecoder d(noop);
    Status st = d.Feed(Frame(SeriesFrame({{"bad-name", "x"}}, {"c"})));
    EXPECT_FALSE(st.ok());
  }
}

TEST(PrometheusConfigTest, ExternalLabelsFromConfigYaml) {
  auto l = ParseExternalLabels(
      "global:\n  scrape_interval: 15s\n  external_labels:\n    replica: \"1\"\n    cluster: eu\n");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(*l, Labels({{"cluster", "eu"}, {"replica", "1"}}));
  auto none = ParseExternalLabels("global:\n  scrape_interval: 15s\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ParseExternalLabels("global:\n  external_labels:\n    bad-name: x\n").ok());
  EXPECT_FALSE(ParseExternalLabels("global: [unclosed").ok());
}

TEST(HttpClientConfigTest, ParsesThanosShapeAndRejectsUnknownKeys) {
  auto c = http::ParseClientConfig(
      "{\"tls_config\": {\"insecure_skip_verify\": true}, \"basic_auth\": {\"username\": \"u\", "
      "\"password\": \"p\"}}");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->insecure_skip_verify);
  EXPECT_EQ(c->basic_auth_username, "u");
  EXPECT_EQ(c->basic_auth_password, "p");
  auto bad = http::ParseClientConfig("tls_config:\n  insecure_skip_verfy: true\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("insecure_skip_verfy"), std::string::npos);
  EXPECT_TRUE(http::ParseClientConfig("").ok());
}

// A stand-in for Prometheus's HTTP API serving canned remote read frames.
class FakePrometheus {
 public:
  explicit FakePrometheus(std::string read_body,
                          std::string label_names = R"(["__name__","job"])") {
    auto router = std::make_shared<server::Router>();
    router->Handle("/api/v1/read", [this, read_body](const server::HttpRequest& req) {
      last_read_body = req.body;
      return server::HttpResponse{
          200,
          "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse",
          read_body,
          {}};
    });
    router->Handle("/api/v1/labels", [label_names](const server::HttpRequest&) {
      return server::HttpResponse{
          200, "application/json", R"({"status":"success","data":)" + label_names + "}", {}};
    });
    server::HttpServerOptions o;
    o.address = "127.0.0.1:0";
    server_ = server::HttpServer::Start(o, router).value();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string last_read_body;

 private:
  std::unique_ptr<server::HttpServer> server_;
};

// What a source sends for {a="1"} (without the given labels): labels and chunk count per series.
std::vector<std::pair<Labels, size_t>> Collect(PrometheusSource& src,
                                               std::vector<std::string> without = {}) {
  std::vector<std::pair<Labels, size_t>> got;
  Status st = src.Series({{M(MatchType::kEqual, "a", "1")}, 0, 1000, 0, false, std::move(without)},
                         [&](const Labels& l, const std::vector<storeapi::RawChunk>& c) {
                           got.emplace_back(l, c.size());
                           return Status::OK();
                         },
                         {});
  EXPECT_TRUE(st.ok()) << st.ToString();
  return got;
}

TEST(PrometheusSourceTest, StreamsSeriesInPrometheusOrderMergingSplitFrames) {
  // As Prometheus sends them: external labels merged in, sorted, a long series split in two.
  const std::string body = Frame(SeriesFrame({{"a", "1"}, {"b", "2"}, {"c", "eu"}}, {"y"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"c", "eu"}}, {"x1"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"c", "eu"}}, {"x2"}, 100));
  FakePrometheus prom(body);
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"c", "eu"}}));
  auto got = Collect(src);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, Labels({{"a", "1"}, {"b", "2"}, {"c", "eu"}}));
  EXPECT_EQ(got[1].first, Labels({{"a", "1"}, {"c", "eu"}}));
  EXPECT_EQ(got[1].second, 2u);  // both frames' chunks
}

TEST(PrometheusSourceTest, SeriesLabelsClashingWithExternalOnesAreOverriddenAndResorted) {
  // Prometheus lets a series' own label win a clash with an external label and sorts by that;
  // Thanos (and Strata) give the external value, which reorders these two series.
  const std::string body = Frame(SeriesFrame({{"a", "1"}, {"c", "aaa"}, {"d", "2"}}, {"x"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"c", "eu"}, {"d", "1"}}, {"y"}));
  FakePrometheus prom(body, R"(["a","c","d"])");
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"c", "eu"}}));
  auto got = Collect(src);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, Labels({{"a", "1"}, {"c", "eu"}, {"d", "1"}}));
  EXPECT_EQ(got[1].first, Labels({{"a", "1"}, {"c", "eu"}, {"d", "2"}}));
}

TEST(PrometheusSourceTest, WithoutReplicaLabelsLeavesThemOutAndResorts) {
  // In Prometheus's order {a, b, replica} < {a, replica}; without "replica" the order flips.
  const std::string body = Frame(SeriesFrame({{"a", "1"}, {"b", "2"}, {"replica", "x"}}, {"y"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"replica", "x"}}, {"x"}));
  FakePrometheus prom(body, R"(["a","b"])");
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"replica", "x"}}));
  auto got = Collect(src, {"replica"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, Labels({{"a", "1"}}));
  EXPECT_EQ(got[1].first, Labels({{"a", "1"}, {"b", "2"}}));
}

TEST(PrometheusSourceTest, LeavingExternalLabelsOutSortsGroupByGroupLikeSortingEverything) {
  // Random series (labels around the external "replica" label in name order) as Prometheus
  // streams them; leaving "replica" out, the answer must be what sorting everything gives.
  std::mt19937 rng(11);
  const std::vector<std::string> label_names = {"__name__", "b", "job", "pod", "zone"};
  for (int round = 0; round < 50; round++) {
    std::set<Labels> series;
    while (series.size() < 60) {
      Labels l{{"a", "1"}, {"replica", "x"}};
      for (const auto& n : label_names) {
        if (n == "__name__" || std::uniform_int_distribution<int>(0, 2)(rng) > 0)
          l = l.With(n, std::to_string(std::uniform_int_distribution<int>(0, 2)(rng)));
      }
      series.insert(l);
    }
    std::string body;
    std::vector<Labels> want;
    for (const auto& l : series) {  // std::set: Prometheus's order
      body += Frame(SeriesFrame(l, {"x"}));
      want.push_back(l.Without("replica"));
    }
    std::sort(want.begin(), want.end());
    FakePrometheus prom(body, R"(["__name__","a","b","job","pod","zone"])");
    PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
    src.SetExternalLabels(Labels({{"replica", "x"}}));
    auto got = Collect(src, {"replica"});
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t i = 0; i < got.size(); i++) {
      ASSERT_EQ(got[i].first, want[i]) << "round " << round << " series " << i;
      EXPECT_EQ(got[i].second, 1u);
    }
  }
}

TEST(PrometheusSourceTest, SeriesLeftEqualByLeavingASeriesLabelOutBecomeOne) {
  const std::string body = Frame(SeriesFrame({{"a", "1"}, {"b", "2"}, {"c", "eu"}}, {"y"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"c", "eu"}, {"replica", "1"}}, {"x"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"c", "eu"}, {"replica", "2"}}, {"z"}));
  FakePrometheus prom(body, R"(["a","b","replica"])");
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"c", "eu"}}));
  auto got = Collect(src, {"replica"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, Labels({{"a", "1"}, {"b", "2"}, {"c", "eu"}}));
  EXPECT_EQ(got[1].first, Labels({{"a", "1"}, {"c", "eu"}}));
  EXPECT_EQ(got[1].second, 2u);  // both replicas' chunks
}

TEST(PrometheusSourceTest, UnsortedStreamIsAnErrorNotAWrongAnswer) {
  const std::string body = Frame(SeriesFrame({{"a", "1"}, {"b", "9"}}, {"x"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"b", "1"}}, {"y"})) +
                           Frame(SeriesFrame({{"a", "1"}, {"b", "5"}}, {"z"}));
  FakePrometheus prom(body);
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"c", "eu"}}));
  Status st = src.Series(
      {{M(MatchType::kEqual, "a", "1")}, 0, 1000},
      [](const Labels&, const std::vector<storeapi::RawChunk>&) { return Status::OK(); }, {});
  EXPECT_EQ(st.code(), StatusCode::kInternal) << st.ToString();
  EXPECT_NE(st.message().find("out of order"), std::string::npos);
}

TEST(PrometheusSourceTest, MatchersOnExternalLabelsSelectTheWholeSource) {
  FakePrometheus prom(Frame(SeriesFrame({{"a", "1"}}, {"x"})));
  PrometheusSource src(std::make_shared<PrometheusClient>(prom.url()));
  src.SetExternalLabels(Labels({{"cluster", "eu"}}));
  int n = 0;
  auto count = [&](const Labels&, const std::vector<storeapi::RawChunk>&) {
    n++;
    return Status::OK();
  };
  ASSERT_TRUE(
      src.Series({{M(MatchType::kEqual, "cluster", "us"), M(MatchType::kEqual, "a", "1")}, 0, 1000},
                 count, {})
          .ok());
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(prom.last_read_body.empty());  // Prometheus was not even asked

  ASSERT_TRUE(
      src.Series({{M(MatchType::kEqual, "cluster", "eu"), M(MatchType::kEqual, "a", "1")}, 0, 1000},
                 count, {})
          .ok());
  EXPECT_EQ(n, 1);
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(prom.last_read_body.data(), prom.last_read_body.size(), &raw));
  prometheus::ReadRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.queries(0).matchers_size(), 1);  // the cluster matcher stays here
  EXPECT_EQ(req.queries(0).matchers(0).name(), "a");

  Status st = src.Series({{M(MatchType::kEqual, "cluster", "eu")}, 0, 1000}, count, {});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);

  auto names = src.LabelNames({}, 0, 1000);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "cluster", "job"}));
  auto values = src.LabelValues("cluster", {}, 0, 1000);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, std::vector<std::string>{"eu"});
}

TEST(PrometheusSourceTest, UnreachablePrometheusIsAClearError) {
  PrometheusSource src(std::make_shared<PrometheusClient>("http://127.0.0.1:1", 2000));
  Status st = src.Series(
      {{M(MatchType::kEqual, "a", "1")}, 0, 1000},
      [](const Labels&, const std::vector<storeapi::RawChunk>&) { return Status::OK(); }, {});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:1/api/v1/"), std::string::npos) << st.ToString();
}

// Fails every upload while `fail` is set; otherwise passes through.
class FlakyBucket : public objstore::Bucket {
 public:
  explicit FlakyBucket(std::unique_ptr<objstore::Bucket> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> fail{false};
  Status Iter(std::string_view d, const objstore::IterFn& fn, bool r) override {
    return inner_->Iter(d, fn, r);
  }
  Result<std::string> Get(std::string_view n) override { return inner_->Get(n); }
  Result<std::string> GetRange(std::string_view n, int64_t o, int64_t l) override {
    return inner_->GetRange(n, o, l);
  }
  Result<bool> Exists(std::string_view n) override { return inner_->Exists(n); }
  Result<objstore::ObjectAttributes> Attributes(std::string_view n) override {
    return inner_->Attributes(n);
  }
  Status Upload(std::string_view n, std::string_view d) override {
    if (fail) return Status::IOError("injected upload failure");
    return inner_->Upload(n, d);
  }
  Status UploadFile(std::string_view n, const std::string& p) override {
    if (fail) return Status::IOError("injected upload failure");
    return inner_->UploadFile(n, p);
  }
  Status Download(std::string_view n, const std::string& p) override {
    return inner_->Download(n, p);
  }
  Status Delete(std::string_view n) override { return inner_->Delete(n); }
  std::string Name() const override { return "flaky"; }

 private:
  std::unique_ptr<objstore::Bucket> inner_;
};

tsdb::BlockMeta WriteBlock(const std::string& dir, int64_t mint, int level = 1) {
  tsdb::BlockWriter w(dir);
  for (int i = 0; i < 10; i++)
    EXPECT_TRUE(w.Append(Labels({{"__name__", "m"}, {"i", std::to_string(i)}}), mint + i, i).ok());
  tsdb::BlockMeta meta = w.Flush().value();
  if (level > 1) {
    meta.compaction.level = level;
    EXPECT_TRUE(tsdb::WriteBlockMeta(dir + "/" + meta.ulid.String(), meta).ok());
  }
  return meta;
}

class ShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(bucket_dir_.path() + "/b");
    auto fsb = objstore::NewFilesystemBucket(bucket_dir_.path() + "/b").value();
    bucket_ = std::make_shared<FlakyBucket>(std::move(fsb));
  }
  double Metric(const std::string& name) {
    const std::string text = registry_.Expose();
    const size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
  }
  tsdb::TempDir tsdb_dir_, bucket_dir_;
  std::shared_ptr<FlakyBucket> bucket_;
  Registry registry_;
  const Labels ext_{{"cluster", "eu"}, {"replica", "0"}};
};

TEST_F(ShipperTest, ShipsFinishedBlocksOnceWithThanosMetaAndRecordsThem) {
  const auto b2 = WriteBlock(tsdb_dir_.path(), 2000);
  const auto b1 = WriteBlock(tsdb_dir_.path(), 1000);
  WriteBlock(tsdb_dir_.path(), 3000, /*level=*/2);  // compacted: not shipped by default
  fs::create_directories(tsdb_dir_.path() + "/01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation");
  fs::create_directories(tsdb_dir_.path() + "/01ARZ3NDEKTSV4RRFFQ69G5FAW");  // no meta.json

  ShipperOptions o;
  o.dir = tsdb_dir_.path();
  Shipper s(bucket_, o, &registry_);
  auto n = s.Sync(ext_);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(Metric("thanos_shipper_uploads_total"), 2);
  EXPECT_EQ(Metric("thanos_shipper_dir_syncs_total"), 1);

  // The meta file lists the shipped blocks, oldest first, in Go's JSON layout.
  auto text = ReadFile(tsdb_dir_.path() + "/thanos.shipper.json");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "{\n\t\"version\": 1,\n\t\"uploaded\": [\n\t\t\"" + b1.ulid.String() +
                       "\",\n\t\t\"" + b2.ulid.String() + "\"\n\t]\n}\n");
  auto up = tsdb::ParseBlockMeta(bucket_->Get(b1.ulid.String() + "/meta.json").value(), "meta");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE(up->thanos.has_value());
  EXPECT_EQ(up->thanos->labels, ext_);
  EXPECT_EQ(up->thanos->source, "sidecar");
  EXPECT_EQ(up->thanos->segment_files, std::vector<std::string>{"000001"});
  EXPECT_TRUE(bucket_->Exists(b1.ulid.String() + "/index").value());
  // The local block is untouched and the staging copy is gone.
  EXPECT_FALSE(tsdb::ReadBlockMeta(tsdb_dir_.path() + "/" + b1.ulid.String())->thanos);
  EXPECT_FALSE(fs::exists(tsdb_dir_.path() + "/thanos/upload/" + b1.ulid.String()));

  // A second pass uploads nothing.
  EXPECT_EQ(s.Sync(ext_).value(), 0);
  EXPECT_EQ(Metric("thanos_shipper_uploads_total"), 2);
  EXPECT_EQ(s.MinTime().value(), 1000);

  // With upload-compacted the level-2 block goes too.
  o.upload_compacted = true;
  Shipper s2(bucket_, o, &registry_);
  EXPECT_EQ(s2.Sync(ext_).value(), 1);
  EXPECT_EQ(Metric("thanos_shipper_upload_compacted_done"), 1);
}

TEST_F(ShipperTest, FailuresAreCountedAndRetriedWithoutDuplicates) {
  const auto b1 = WriteBlock(tsdb_dir_.path(), 1000);
  ShipperOptions o;
  o.dir = tsdb_dir_.path();
  Shipper s(bucket_, o, &registry_);
  bucket_->fail = true;
  auto n = s.Sync(ext_);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find(b1.ulid.String()), std::string::npos);
  EXPECT_EQ(Metric("thanos_shipper_upload_failures_total"), 1);
  EXPECT_EQ(Metric("thanos_shipper_dir_sync_failures_total"), 1);
  EXPECT_FALSE(bucket_->Exists(b1.ulid.String() + "/meta.json").value());  // never half-visible

  bucket_->fail = false;
  EXPECT_EQ(s.Sync(ext_).value(), 1);

  // A lost meta file (crash before it was written) does not lead to a second upload.
  fs::remove(tsdb_dir_.path() + "/thanos.shipper.json");
  EXPECT_EQ(s.Sync(ext_).value(), 0);
  EXPECT_EQ(Metric("thanos_shipper_uploads_total"), 1);
  EXPECT_NE(ReadFile(tsdb_dir_.path() + "/thanos.shipper.json")->find(b1.ulid.String()),
            std::string::npos);
}

TEST_F(ShipperTest, RefusesEmptyExternalLabelsAndCorruptMetaFileIsReplaced) {
  WriteBlock(tsdb_dir_.path(), 1000);
  ShipperOptions o;
  o.dir = tsdb_dir_.path();
  Shipper s(bucket_, o, &registry_);
  EXPECT_EQ(s.Sync(Labels()).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomic(tsdb_dir_.path() + "/thanos.shipper.json", "{not json").ok());
  EXPECT_EQ(s.Sync(ext_).value(), 1);
  EXPECT_TRUE(ReadShipperMeta(tsdb_dir_.path() + "/thanos.shipper.json").ok());
}

}  // namespace
}  // namespace strata::sidecar
