// The querier's fan-out with deduplication over real StoreAPI servers: endpoints asked to leave
// the replica labels out stream their replicas to the deduplication; endpoints that cannot are
// read whole and sorted; both give the answer of deduplicating everything at once.
#include "query/proxy.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "query/endpoints.h"
#include "query/proxy_source.h"
#include "storage/merge.h"
#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/server.h"
#include "tsdb/block_writer.h"
#include "tsdb/xor_chunk.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

// Series as a query sees them: labels and every sample, in order.
std::vector<std::string> Samples(storage::SeriesSet& set) {
  std::vector<std::string> out;
  while (set.Next()) {
    std::string s = set.At()->labels().String() + ":";
    auto it = set.At()->Iterator();
    while (it->Next()) s += " " + std::to_string(it->t()) + "=" + std::to_string(it->v());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    out.push_back(std::move(s));
  }
  EXPECT_TRUE(set.status().ok()) << set.status().ToString();
  return out;
}

// An HA pair: replica "a" misses a stretch, replica "b" scrapes 3 s later. Three StoreAPI
// servers: one per replica (as sidecars) and one with both replicas' blocks (a store gateway).
class ProxyDedupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-proxy-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    std::vector<std::shared_ptr<const tsdb::Block>> both;
    for (const std::string replica : {"a", "b"}) {
      const fs::path d = dir_ / replica;
      fs::create_directories(d);
      tsdb::BlockWriter w(d.string());
      for (int s = 0; s < 20; s++) {
        // Pairs of series differing only by a "pod" label: leaving "replica" out reorders them
        // ("pod" < "replica").
        Labels l{{"__name__", "http_requests_total"},
                 {"instance", std::to_string(s / 2)},
                 {"job", "api"}};
        if (s % 2) l = l.With("pod", std::to_string(s));
        for (int t = 0; t < 400; t++) {
          if (replica == "a" && t >= 100 && t < 160) continue;
          const int64_t ts = int64_t{t} * 15000 + (replica == "b" ? 3000 : 0);
          ASSERT_TRUE(w.Append(l, ts, t * (s + 1.0)).ok());
        }
      }
      tsdb::ThanosMeta thanos;
      thanos.labels = Labels{{"cluster", "eu"}, {"replica", replica}};
      ASSERT_TRUE(w.Flush(thanos).ok());
      std::shared_ptr<const tsdb::Block> block =
          std::move(*tsdb::Block::Open(tsdb::ListBlockDirs(d.string())->at(0)));
      both.push_back(block);
      Serve({block});
    }
    Serve(both);
  }
  void TearDown() override {
    for (auto& s : servers_) s->Shutdown();
    fs::remove_all(dir_);
  }

  void Serve(std::vector<std::shared_ptr<const tsdb::Block>> blocks) {
    storeapi::ServerOptions so;
    so.address = "127.0.0.1:0";
    auto srv = storeapi::StoreServer::Start(so, storeapi::NewBlocksSource(std::move(blocks)));
    ASSERT_TRUE(srv.ok());
    clients_.push_back(
        storeapi::StoreClient::Connect("127.0.0.1:" + std::to_string((*srv)->port())));
    servers_.push_back(std::move(*srv));
  }

  // Deduplicated samples through a ProxyQuerier over `clients`.
  std::vector<std::string> Query(std::vector<std::shared_ptr<storeapi::StoreClient>> clients,
                                 std::string func, dedup::Algorithm algorithm, bool eager = false) {
    ProxyOptions opts;
    opts.replica_labels = {"replica"};
    opts.dedup_algorithm = algorithm;
    opts.eager = eager;
    ProxyQuerier q(
        [clients](int64_t, int64_t, const Matchers&) {
          return EndpointSelection{clients, {}};
        },
        opts);
    storage::SelectHints h{0, 400 * 15000, 0, 0, func};
    auto set = q.Select(h, {*Matcher::Make(MatchType::kEqual, "__name__", "http_requests_total")});
    return Samples(*set);
  }

  // The same, deduplicating everything at once after a plain merge (the reference).
  std::vector<std::string> QueryBuffered(
      std::vector<std::shared_ptr<storeapi::StoreClient>> clients, std::string func,
      dedup::Algorithm algorithm) {
    storage::SelectHints h{0, 400 * 15000, 0, 0, func};
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (const auto& c : clients)
      sets.push_back(
          c->Select(h, {*Matcher::Make(MatchType::kEqual, "__name__", "http_requests_total")}));
    auto set = dedup::DedupSeriesSet(storage::MergeSeriesSets(std::move(sets)), {"replica"}, func,
                                     algorithm);
    return Samples(*set);
  }

  fs::path dir_;
  std::vector<std::unique_ptr<storeapi::StoreServer>> servers_;
  std::vector<std::shared_ptr<storeapi::StoreClient>> clients_;  // replica a, replica b, both
};

TEST_F(ProxyDedupTest, StreamingDedupEqualsDedupOfEverything) {
  for (auto& c : clients_) ASSERT_TRUE(c->Info().ok());  // learn without_replica_labels support
  const std::vector<std::shared_ptr<storeapi::StoreClient>> pair{clients_[0], clients_[1]};
  const std::vector<std::shared_ptr<storeapi::StoreClient>> store{clients_[2]};
  for (auto algorithm : {dedup::Algorithm::kPenalty, dedup::Algorithm::kChain}) {
    for (const std::string func : {"", "rate"}) {
      SCOPED_TRACE(func + (algorithm == dedup::Algorithm::kChain ? " chain" : " penalty"));
      // Two sidecars; one store holding both replicas (its series' chunks overlap); all three.
      for (const auto& clients : {pair, store, clients_}) {
        auto got = Query(clients, func, algorithm);
        ASSERT_EQ(got.size(), 20u);
        EXPECT_EQ(got, QueryBuffered(clients, func, algorithm));
        EXPECT_EQ(got, Query(clients, func, algorithm, /*eager=*/true));
      }
    }
  }
  // The gap of replica a is filled from b: a's 100 scrapes before the gap, then b's from the
  // second after it on (the penalty skips b's first one, 18 s after a's last), as in Thanos.
  auto got = Query(clients_, "", dedup::Algorithm::kPenalty);
  for (const auto& s : got) {
    EXPECT_EQ(s.find("replica"), std::string::npos);
    EXPECT_EQ(std::count(s.begin() + static_cast<long>(s.find(':')), s.end(), '='), 100 + 299)
        << s.substr(0, 120);
  }
}

TEST_F(ProxyDedupTest, EndpointsNotLeavingLabelsOutAreSortedFirst) {
  // No Info call yet: the clients do not know that the endpoints could leave labels out, so the
  // proxy removes them itself and sorts each answer; the result is the same.
  const std::vector<std::shared_ptr<storeapi::StoreClient>> pair{clients_[0], clients_[1]};
  ASSERT_FALSE(clients_[0]->supports_without_labels());
  auto got = Query(pair, "", dedup::Algorithm::kPenalty);
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(got, QueryBuffered(pair, "", dedup::Algorithm::kPenalty));
}

// A Thanos older than v0.31: no thanos.info.Info service, so no promise to leave labels out,
// and Series ignores without_replica_labels. Its two series are in full-label order, which
// flips once "replica" is left out: {a="1", b="1", replica="x"} < {a="1", replica="x"}.
class OldThanosStore final : public thanos::Store::Service {
  grpc::Status Info(grpc::ServerContext*, const thanos::InfoRequest*,
                    thanos::InfoResponse* resp) override {
    resp->set_min_time(0);
    resp->set_max_time(10000);
    return grpc::Status::OK;
  }
  grpc::Status Series(grpc::ServerContext*, const thanos::SeriesRequest*,
                      grpc::ServerWriter<thanos::SeriesResponse>* w) override {
    tsdb::XorAppender app;
    app.Append(1000, 1);
    for (const Labels& l :
         {Labels{{"a", "1"}, {"b", "1"}, {"replica", "x"}}, Labels{{"a", "1"}, {"replica", "x"}}}) {
      thanos::SeriesResponse resp;
      for (const auto& x : l) {
        auto* pl = resp.mutable_series()->add_labels();
        pl->set_name(x.name);
        pl->set_value(x.value);
      }
      auto* c = resp.mutable_series()->add_chunks();
      c->set_min_time(1000);
      c->set_max_time(1000);
      c->mutable_raw()->set_type(thanos::Chunk::XOR);
      c->mutable_raw()->set_data(app.Bytes());
      w->Write(resp);
    }
    return grpc::Status::OK;
  }
};

TEST(ProxyOldEndpointTest, AnswersOfEndpointsNotLeavingLabelsOutAreSorted) {
  OldThanosStore service;
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&service);
  auto server = b.BuildAndStart();
  ASSERT_NE(port, 0);
  auto eps = EndpointSet::Make({"127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(eps.ok());
  std::shared_ptr<EndpointSet> set = std::move(*eps);
  set->Refresh();
  ASSERT_EQ(set->States().size(), 1u);
  ASSERT_TRUE(set->States()[0].up) << set->States()[0].last_error;
  EXPECT_FALSE(set->States()[0].info.supports_without_labels);

  // The querier: deduplicated, sorted.
  ProxyOptions opts;
  opts.replica_labels = {"replica"};
  ProxyQuerier q(
      [set](int64_t mint, int64_t maxt, const Matchers& m) { return set->Select(mint, maxt, m); },
      opts);
  auto got = q.Select({0, 2000, 0, 0, ""}, {*Matcher::Make(MatchType::kEqual, "a", "1")});
  EXPECT_EQ(Samples(*got), (std::vector<std::string>{"{a=\"1\"}: 1000=1.000000",
                                                     "{a=\"1\", b=\"1\"}: 1000=1.000000"}));

  // The querier's own StoreAPI, asked by a querier above to leave "replica" out.
  auto source = NewProxySource(set);
  std::vector<std::string> labels;
  Status st = source->Series(
      {{*Matcher::Make(MatchType::kEqual, "a", "1")}, 0, 2000, 0, false, {"replica"}},
      [&](const Labels& l, const std::vector<storeapi::RawChunk>& cs) {
        labels.push_back(l.String() + " " + std::to_string(cs.size()));
        return Status::OK();
      },
      {});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(labels, (std::vector<std::string>{"{a=\"1\"} 1", "{a=\"1\", b=\"1\"} 1"}));
  server->Shutdown();
}

// Serves `n` series per call, then holds the call open until released: a querier that
// buffered whole answers before deduplicating could not return anything meanwhile.
class HeldSource : public storeapi::SeriesSource {
 public:
  HeldSource(std::string replica, int n) : replica_(std::move(replica)), n_(n) {}
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }
  storeapi::SourceInfo Info() const override {
    return {{Labels{{"replica", replica_}}}, 0, 1000000};
  }
  Status Series(const storeapi::SeriesQuery& q, const storeapi::SeriesFn& fn,
                const storeapi::WarningFn&) override {
    tsdb::XorAppender app;  // one sample: t=1000, v=1
    app.Append(1000, 1);
    const std::string chunk = app.Bytes();
    for (int i = 0; i < n_; i++) {
      char name[16];
      snprintf(name, sizeof(name), "%05d", i);
      Labels l{{"__name__", "m"}, {"i", name}, {"replica", replica_}};
      STRATA_RETURN_IF_ERROR(
          fn(storeapi::WithoutLabels(l, q.without_labels), {{1000, 1000, 1, chunk}}));
    }
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return released_; });
    return Status::OK();
  }
  Result<std::vector<std::string>> LabelNames(const Matchers&, int64_t, int64_t) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> LabelValues(const std::string&, const Matchers&, int64_t,
                                               int64_t) override {
    return std::vector<std::string>{};
  }

 private:
  std::string replica_;
  int n_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

TEST(ProxyStreamingTest, DeduplicatedSeriesArriveBeforeTheEndpointsFinish) {
  constexpr int kSeries = 3000;
  std::vector<std::shared_ptr<HeldSource>> sources;
  std::vector<std::unique_ptr<storeapi::StoreServer>> servers;
  std::vector<std::shared_ptr<storeapi::StoreClient>> clients;
  for (const char* replica : {"a", "b"}) {
    sources.push_back(std::make_shared<HeldSource>(replica, kSeries));
    storeapi::ServerOptions so;
    so.address = "127.0.0.1:0";
    servers.push_back(*storeapi::StoreServer::Start(so, sources.back()));
    clients.push_back(
        storeapi::StoreClient::Connect("127.0.0.1:" + std::to_string(servers.back()->port())));
    ASSERT_TRUE(clients.back()->Info().ok());
  }
  ProxyOptions opts;
  opts.replica_labels = {"replica"};
  ProxyQuerier q(
      [clients](int64_t, int64_t, const Matchers&) {
        return EndpointSelection{clients, {}};
      },
      opts);
  auto set = q.Select({0, 2000, 0, 0, ""}, {*Matcher::Make(MatchType::kEqual, "__name__", "m")});
  // All but the last batch of series (a store sends up to 64 a message and the last one when
  // its call ends) can be read while both endpoints still hold their calls open.
  constexpr int kStreamed = kSeries - 64;
  auto first = std::async(std::launch::async, [&] {
    int n = 0;
    while (n < kStreamed && set->Next()) {
      EXPECT_EQ(set->At()->labels().String().find("replica"), std::string::npos);
      n++;
    }
    return n;
  });
  const bool streamed = first.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  for (auto& s : sources) s->Release();
  ASSERT_TRUE(streamed) << "the deduplicated answer waited for the endpoints to finish";
  EXPECT_EQ(first.get(), kStreamed);
  int rest = 0;
  while (set->Next()) rest++;
  EXPECT_EQ(rest, kSeries - kStreamed);
  EXPECT_TRUE(set->status().ok()) << set->status().ToString();
  for (auto& s : servers) s->Shutdown();
}

}  // namespace
}  // namespace strata::query
