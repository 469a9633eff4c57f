#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <thread>

#include <filesystem>

#include "base/log.h"
#include "promql/engine.h"
#include "server/request_logging.h"
#include "storage/block_querier.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/client.h"
#include "storeapi/convert.h"
#include "storeapi/server.h"
#include "tsdb/block_writer.h"

namespace strata::storeapi {
namespace {

namespace fs = std::filesystem;

class StoreApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-storeapi-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Two replicas of one cluster: same series, different external labels; replica 1 has a gap.
    for (int replica = 0; replica < 2; replica++) {
      tsdb::BlockWriter w(dir_.string());
      for (int s = 0; s < 30; s++) {
        Labels l{{"__name__", s % 2 ? "up" : "requests_total"},
                 {"instance", "i" + std::to_string(s)}};
        for (int t = 0; t < 720; t++) {
          if (replica == 1 && t > 100 && t < 200) continue;
          ASSERT_TRUE(w.Append(l, int64_t{t} * 15000, t * (s + 1)).ok());
        }
      }
      tsdb::ThanosMeta thanos;
      thanos.labels = Labels{{"cluster", "eu"}, {"replica", std::to_string(replica)}};
      thanos.source = "sidecar";
      ASSERT_TRUE(w.Flush(thanos).ok());
    }
    std::vector<std::shared_ptr<const tsdb::Block>> blocks;
    auto dirs = tsdb::ListBlockDirs(dir_.string());
    ASSERT_TRUE(dirs.ok());
    for (const auto& d : *dirs) blocks.push_back(std::move(*tsdb::Block::Open(d)));
    blocks_ = blocks;
    ServerOptions opts;
    opts.address = "127.0.0.1:0";
    auto server = StoreServer::Start(opts, NewBlocksSource(blocks));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = StoreClient::Connect("127.0.0.1:" + std::to_string(server_->port()));
  }
  void TearDown() override {
    server_->Shutdown();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::vector<std::shared_ptr<const tsdb::Block>> blocks_;
  std::unique_ptr<StoreServer> server_;
  std::unique_ptr<StoreClient> client_;
};

TEST_F(StoreApiTest, InfoListsExternalLabelSetsAndTimeRange) {
  auto info = client_->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->label_sets.size(), 2u);
  EXPECT_EQ(info->label_sets[0].String(), "{cluster=\"eu\", replica=\"0\"}");
  EXPECT_EQ(info->min_time, 0);
  EXPECT_EQ(info->max_time, 719 * 15000 + 1);
}

TEST_F(StoreApiTest, SeriesCarryExternalLabelsAndAllSamples) {
  storage::SelectHints h{0, 720 * 15000, 0, 0, ""};
  auto set = client_->Select(h, {*Matcher::Make(MatchType::kEqual, "__name__", "up"),
                                 *Matcher::Make(MatchType::kEqual, "replica", "1")});
  int series = 0;
  while (set->Next()) {
    auto s = set->At();
    EXPECT_EQ(s->labels().Get("replica"), "1");
    EXPECT_EQ(s->labels().Get("cluster"), "eu");
    auto it = s->Iterator();
    int n = 0;
    while (it->Next()) n++;
    EXPECT_TRUE(it->status().ok());
    EXPECT_EQ(n, 720 - 99);
    series++;
  }
  ASSERT_TRUE(set->status().ok()) << set->status().ToString();
  EXPECT_EQ(series, 15);
}

// What a client that predates batches (Thanos v0.34) and one that asks for them get: the same
// series in the same order, one a response or up to response_batch_size a response.
TEST_F(StoreApiTest, SeriesComeOneAResponseOrInBatchesWhenAsked) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = thanos::Store::NewStub(channel);
  auto read = [&](int64_t batch_size, std::vector<int>* sizes) {
    thanos::SeriesRequest req;
    req.set_min_time(0);
    req.set_max_time(720 * 15000);
    auto* m = req.add_matchers();
    m->set_name("cluster");
    m->set_value("eu");
    req.set_response_batch_size(batch_size);
    grpc::ClientContext ctx;
    auto reader = stub->Series(&ctx, req);
    std::vector<std::string> names;
    thanos::SeriesResponse resp;
    while (reader->Read(&resp)) {
      if (resp.has_series()) {
        sizes->push_back(0);  // a single series, not a batch
        names.push_back(FromProto(resp.series().labels()).String());
      }
      if (resp.has_batch()) {
        sizes->push_back(resp.batch().series_size());
        for (const auto& s : resp.batch().series()) names.push_back(FromProto(s.labels()).String());
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    return names;
  };
  std::vector<int> single_sizes, batch_sizes;
  auto single = read(0, &single_sizes);
  auto batched = read(8, &batch_sizes);
  ASSERT_EQ(single.size(), 60u);  // 30 series in each of two replicas' blocks
  EXPECT_EQ(single_sizes, std::vector<int>(60, 0));
  EXPECT_EQ(batched, single);
  EXPECT_EQ(batch_sizes, (std::vector<int>{8, 8, 8, 8, 8, 8, 8, 4}));
}

// The engine loads a series' window with AppendSamples, which decodes whole chunks; it must
// give exactly what seeking and stepping gives, at every kind of window edge.
// --grpc-server-max-connection-age: past it the server sends GOAWAY, the client's channel
// goes idle (to reconnect on its next call), and calls keep working.
TEST_F(StoreApiTest, MaxConnectionAgeRecyclesConnections) {
  ServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.max_connection_age_ms = 300;
  auto server = StoreServer::Start(opts, NewBlocksSource(blocks_));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = thanos::Store::NewStub(channel);
  auto info = [&] {
    grpc::ClientContext ctx;
    thanos::InfoResponse resp;
    return stub->Info(&ctx, thanos::InfoRequest(), &resp).ok();
  };
  ASSERT_TRUE(info());
  EXPECT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  bool went_idle = false;
  for (int i = 0; i < 100 && !went_idle; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    went_idle = channel->GetState(false) == GRPC_CHANNEL_IDLE;
  }
  EXPECT_TRUE(went_idle) << "no GOAWAY after the max connection age";
  EXPECT_TRUE(info());
  (*server)->Shutdown(0);
}

// --store.limits.request-series/-samples (querier, sidecar): a call within the limits gets every
// series; one beyond them fails with Thanos's message and is counted.
TEST_F(StoreApiTest, SeriesLimitsFailTheCallBeyondThem) {
  Registry registry;
  ServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.max_series = 15;
  opts.max_samples = 15 * 6 * 120;  // each series has 6 chunks of 120 samples
  opts.metrics = &registry;
  auto server = StoreServer::Start(opts, NewBlocksSource(blocks_));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = StoreClient::Connect("127.0.0.1:" + std::to_string((*server)->port()));
  auto count = [&](const Matchers& m) -> Result<int> {
    auto set = client->Select(storage::SelectHints{0, 720 * 15000, 0, 0, ""}, m);
    int n = 0;
    while (set->Next()) n++;
    if (!set->status().ok()) return set->status();
    return n;
  };
  auto one_replica = count({*Matcher::Make(MatchType::kEqual, "__name__", "up"),
                            *Matcher::Make(MatchType::kEqual, "replica", "1")});
  ASSERT_TRUE(one_replica.ok()) << one_replica.status().ToString();
  EXPECT_EQ(*one_replica, 15);
  auto both = count({*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("failed to send series: limit 15 violated (got 16)"),
            std::string::npos)
      << both.status().ToString();
  EXPECT_NE(registry.Expose().find("thanos_store_selects_dropped_total{reason=\"series\"} 1"),
            std::string::npos);
  (*server)->Shutdown(0);
  opts.max_series = 0;
  opts.max_samples = 6 * 120;
  server = StoreServer::Start(opts, NewBlocksSource(blocks_));
  ASSERT_TRUE(server.ok());
  client = StoreClient::Connect("127.0.0.1:" + std::to_string((*server)->port()));
  auto samples = count({*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  ASSERT_FALSE(samples.ok());
  EXPECT_NE(samples.status().message().find("failed to send samples: limit 720 violated"),
            std::string::npos)
      << samples.status().ToString();
  (*server)->Shutdown(0);
}

// --request.logging-config: each call's start and end, with Thanos's fields; a call past a
// limit ends with its code.
TEST_F(StoreApiTest, RequestLoggingLogsCalls) {
  ServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.max_series = 15;
  opts.log_component = "sidecar";
  opts.request_logging = *server::ParseRequestLogging(
      "grpc:\n  options: {level: DEBUG, decision: {log_start: true, log_end: true}}\n");
  auto server = StoreServer::Start(opts, NewBlocksSource(blocks_));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = StoreClient::Connect("127.0.0.1:" + std::to_string((*server)->port()));
  auto drain = [&](const Matchers& m) {
    auto set = client->Select(storage::SelectHints{0, 720 * 15000, 0, 0, ""}, m);
    while (set->Next()) {
    }
    return set->status();
  };
  ASSERT_TRUE(log::Configure("debug", "logfmt").ok());
  testing::internal::CaptureStderr();
  EXPECT_TRUE(drain({*Matcher::Make(MatchType::kEqual, "__name__", "up"),
                     *Matcher::Make(MatchType::kEqual, "replica", "1")})
                  .ok());
  EXPECT_FALSE(drain({*Matcher::Make(MatchType::kEqual, "__name__", "up")}).ok());
  (*server)->Shutdown(0);
  const std::string logs = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(log::Configure("info", "logfmt").ok());
  EXPECT_NE(logs.find("level=debug msg=\"started call\" service=gRPC/server component=sidecar "
                      "protocol=grpc grpc.component=server grpc.service=thanos.Store "
                      "grpc.method=Series grpc.method_type=server_stream"),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("msg=\"finished call\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("grpc.code=OK"), std::string::npos) << logs;
  EXPECT_NE(logs.find("grpc.code=ResourceExhausted grpc.error=\"failed to send series: limit 15 "
                      "violated (got 16)\""),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("grpc.time_ms="), std::string::npos) << logs;
}

// The querier's tenant travels with each Series call as Thanos's thanos-tenant header.
TEST_F(StoreApiTest, TheTenantReachesTheSource) {
  class Recording : public SeriesSource {
   public:
    explicit Recording(std::unique_ptr<SeriesSource> inner) : inner_(std::move(inner)) {}
    SourceInfo Info() const override { return inner_->Info(); }
    Status Series(const SeriesQuery& q, const SeriesFn& fn, const WarningFn& warn) override {
      tenant = q.tenant;
      return inner_->Series(q, fn, warn);
    }
    Result<std::vector<std::string>> LabelNames(const Matchers& m, int64_t a, int64_t b) override {
      return inner_->LabelNames(m, a, b);
    }
    Result<std::vector<std::string>> LabelValues(const std::string& n, const Matchers& m, int64_t a,
                                                 int64_t b) override {
      return inner_->LabelValues(n, m, a, b);
    }
    std::string tenant = "unset";

   private:
    std::unique_ptr<SeriesSource> inner_;
  };
  auto source = std::make_shared<Recording>(NewBlocksSource(blocks_));
  ServerOptions opts;
  opts.address = "127.0.0.1:0";
  auto server = StoreServer::Start(opts, source);
  ASSERT_TRUE(server.ok());
  auto client = StoreClient::Connect("127.0.0.1:" + std::to_string((*server)->port()));
  storage::SelectHints hints{0, 720 * 15000, 0, 0, ""};
  hints.tenant = "team-a";
  auto set = client->Select(hints, {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  while (set->Next()) {
  }
  EXPECT_TRUE(set->status().ok());
  EXPECT_EQ(source->tenant, "team-a");
  (*server)->Shutdown(0);
}

TEST_F(StoreApiTest, AppendSamplesEqualsSeekAndNextForEveryWindow) {
  storage::SelectHints h{0, 720 * 15000, 0, 0, ""};
  auto set = client_->Select(h, {*Matcher::Make(MatchType::kEqual, "instance", "i3"),
                                 *Matcher::Make(MatchType::kEqual, "replica", "1")});
  ASSERT_TRUE(set->Next());
  auto series = set->At();
  const std::vector<std::pair<int64_t, int64_t>> windows = {
      {0, 720 * 15000},     {-100, 5},          {1, 14999},         {15000, 15000},
      {7000, 1800000},      {1500000, 3100000}, {2000000, 2000001}, {10770000, 20000000},
      {20000000, 30000000}, {-5000, -1}};
  for (auto [mint, maxt] : windows) {
    std::vector<int64_t> want_t, got_t;
    std::vector<double> want_v, got_v;
    auto a = series->Iterator();
    if (a->Seek(mint)) {
      do {
        if (a->t() > maxt) break;
        want_t.push_back(a->t());
        want_v.push_back(a->v());
      } while (a->Next());
    }
    ASSERT_TRUE(a->status().ok());
    got_t = {42};  // appended to, not replaced
    got_v = {4.2};
    ASSERT_TRUE(series->Iterator()->AppendSamples(mint, maxt, &got_t, &got_v).ok());
    want_t.insert(want_t.begin(), 42);
    want_v.insert(want_v.begin(), 4.2);
    EXPECT_EQ(got_t, want_t) << mint << ".." << maxt;
    EXPECT_EQ(got_v, want_v) << mint << ".." << maxt;
  }
}

TEST_F(StoreApiTest, PromqlOverTheWireEqualsLocalBlocks) {
  // Locally, external labels are not part of the series, so compare per replica with the
  // replica label dropped.
  promql::Engine engine;
  auto remote = engine.RangeQuery(*client_, "sum by (replica) (rate(requests_total[5m]))", 0,
                                  10000000, 60000);
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  ASSERT_EQ(remote->matrix.size(), 2u);
  for (int replica = 0; replica < 2; replica++) {
    auto local_q = storage::NewBlockQuerier(blocks_[replica]);
    auto local = engine.RangeQuery(*local_q, "sum(rate(requests_total[5m]))", 0, 10000000, 60000);
    ASSERT_TRUE(local.ok());
    const std::string rep =
        blocks_[replica]->meta().thanos->labels.Get("replica") == "0" ? "0" : "1";
    const auto& r = remote->matrix[rep == "0" ? 0 : 1];
    ASSERT_EQ(r.points.size(), local->matrix[0].points.size());
    for (size_t i = 0; i < r.points.size(); i++) {
      EXPECT_EQ(r.points[i].t, local->matrix[0].points[i].t);
      EXPECT_EQ(r.points[i].v, local->matrix[0].points[i].v);
    }
  }
}

// What a SeriesSet holds: each series' labels and sample count, in order.
std::vector<std::pair<std::string, int>> Drain(storage::SeriesSet& set) {
  std::vector<std::pair<std::string, int>> out;
  while (set.Next()) {
    auto it = set.At()->Iterator();
    int n = 0;
    while (it->Next()) n++;
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    out.emplace_back(set.At()->labels().String(), n);
  }
  EXPECT_TRUE(set.status().ok()) << set.status().ToString();
  return out;
}

TEST_F(StoreApiTest, WithoutReplicaLabelsEachReplicaComesAsARunOfItsOwn) {
  auto info = client_->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->supports_without_labels);
  EXPECT_TRUE(client_->supports_without_labels());

  // One store holds both replicas: without the replica label they are one series whose chunks
  // overlap; the client hands it on as one series per non-overlapping run of chunks.
  storage::SelectHints h{0, 720 * 15000, 0, 0, ""};
  h.without_labels = {"replica"};
  auto set = client_->Select(h, {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  auto got = Drain(*set);
  ASSERT_EQ(got.size(), 30u);
  for (size_t i = 0; i < got.size(); i += 2) {
    EXPECT_EQ(got[i].first, got[i + 1].first);
    EXPECT_EQ(got[i].first.find("replica"), std::string::npos) << got[i].first;
    EXPECT_EQ(got[i].second + got[i + 1].second, 720 + 621) << got[i].first;
    if (i > 0) {
      EXPECT_LT(got[i - 1].first, got[i].first);
    }
  }
}

// A block with external label replica="0" and two series whose order flips once the replica
// label is left out: {a="1", b="1", replica="0"} < {a="1", replica="0"}, but {a="1"} < {a="1",
// b="1"}.
std::shared_ptr<const tsdb::Block> FlippingBlock(const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  tsdb::BlockWriter w(dir.string());
  for (const Labels& l :
       {Labels{{"__name__", "m"}, {"a", "1"}}, Labels{{"__name__", "m"}, {"a", "1"}, {"b", "1"}}}) {
    EXPECT_TRUE(w.Append(l, 1000, 1).ok());
  }
  tsdb::ThanosMeta thanos;
  thanos.labels = Labels{{"replica", "0"}};
  EXPECT_TRUE(w.Flush(thanos).ok());
  return std::move(*tsdb::Block::Open(tsdb::ListBlockDirs(dir.string())->at(0)));
}

TEST(StoreApiWithoutLabelsTest, SeriesAreSortedByWhatRemains) {
  const fs::path dir = fs::temp_directory_path() / ("strata-flip-" + std::to_string(getpid()));
  ServerOptions opts;
  opts.address = "127.0.0.1:0";
  auto server = StoreServer::Start(opts, NewBlocksSource({FlippingBlock(dir)}));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto client = StoreClient::Connect("127.0.0.1:" + std::to_string((*server)->port()));
  storage::SelectHints h{0, 2000, 0, 0, ""};
  const Matchers m{*Matcher::Make(MatchType::kEqual, "__name__", "m")};
  auto full = client->Select(h, m);
  EXPECT_EQ(Drain(*full), (std::vector<std::pair<std::string, int>>{
                              {"{__name__=\"m\", a=\"1\", b=\"1\", replica=\"0\"}", 1},
                              {"{__name__=\"m\", a=\"1\", replica=\"0\"}", 1}}));
  h.without_labels = {"replica"};
  auto without = client->Select(h, m);
  EXPECT_EQ(Drain(*without),
            (std::vector<std::pair<std::string, int>>{{"{__name__=\"m\", a=\"1\"}", 1},
                                                      {"{__name__=\"m\", a=\"1\", b=\"1\"}", 1}}));
  (*server)->Shutdown();
  fs::remove_all(dir);
}

// An endpoint of a Thanos older than the thanos.info.Info service (only Store.Info), whose
// Series sends a chunk with neither raw data nor aggregates.
class StoreInfoOnly final : public thanos::Store::Service {
  grpc::Status Series(grpc::ServerContext*, const thanos::SeriesRequest*,
                      grpc::ServerWriter<thanos::SeriesResponse>* w) override {
    thanos::SeriesResponse resp;
    auto* l = resp.mutable_series()->add_labels();
    l->set_name("a");
    l->set_value("1");
    resp.mutable_series()->add_chunks()->set_max_time(1);
    w->Write(resp);
    return grpc::Status::OK;
  }
  grpc::Status Info(grpc::ServerContext*, const thanos::InfoRequest*,
                    thanos::InfoResponse* resp) override {
    resp->set_min_time(5);
    resp->set_max_time(10);
    resp->set_storetype(thanos::SIDECAR);
    auto* l = resp->add_label_sets()->add_labels();
    l->set_name("replica");
    l->set_value("a");
    return grpc::Status::OK;
  }
};

TEST(StoreApiWithoutLabelsTest, OldEndpointsAreAskedTheOldWayAndEmptyChunksAreErrors) {
  StoreInfoOnly service;
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&service);
  auto server = b.BuildAndStart();
  ASSERT_NE(port, 0);
  auto client = StoreClient::Connect("127.0.0.1:" + std::to_string(port));
  auto info = client->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->min_time, 5);
  EXPECT_EQ(info->max_time, 10);
  EXPECT_EQ(info->component_type, "sidecar");
  ASSERT_EQ(info->label_sets.size(), 1u);
  EXPECT_EQ(info->label_sets[0].String(), "{replica=\"a\"}");
  EXPECT_FALSE(info->supports_without_labels);
  EXPECT_FALSE(client->supports_without_labels());

  // A chunk without data is an error both ways of reading, never dropped quietly.
  const Matchers m{*Matcher::Make(MatchType::kEqual, "a", "1")};
  Status raw = client->SeriesRaw(
      {m, 0, 10}, [](const Labels&, const std::vector<RawChunk>&) { return Status::OK(); }, {});
  EXPECT_EQ(raw.code(), StatusCode::kCorruption) << raw.ToString();
  EXPECT_NE(raw.message().find("neither raw data nor aggregates"), std::string::npos);
  auto set = client->Select({0, 10, 0, 0, ""}, m);
  EXPECT_FALSE(set->Next());
  EXPECT_EQ(set->status().code(), StatusCode::kCorruption) << set->status().ToString();
  server->Shutdown();
}

std::string Joined(const Result<std::vector<std::string>>& r) {
  if (!r.ok()) return "error: " + r.status().ToString();
  std::string s;
  for (const auto& x : r.value()) s += x + ",";
  return s;
}

TEST_F(StoreApiTest, LabelNamesAndValues) {
  EXPECT_EQ(Joined(client_->LabelNames({}, 0, 10000000)), "__name__,cluster,instance,replica,");
  EXPECT_EQ(Joined(client_->LabelValues("replica", {}, 0, 10000000)), "0,1,");
  EXPECT_EQ(Joined(client_->LabelValues(
                "__name__", {*Matcher::Make(MatchType::kEqual, "instance", "i1")}, 0, 10000000)),
            "up,");
}

TEST_F(StoreApiTest, ErrorsAreClear) {
  storage::SelectHints h{10, 0, 0, 0, ""};
  auto set = client_->Select(h, {*Matcher::Make(MatchType::kEqual, "__name__", "up")});
  EXPECT_FALSE(set->Next());
  EXPECT_EQ(set->status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(set->status().message().find("min_time is after max_time"), std::string::npos);

  auto gone = StoreClient::Connect("127.0.0.1:1", std::chrono::milliseconds(500),
                                   std::chrono::milliseconds(500));
  auto info = gone->Info();
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("store 127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace strata::storeapi
