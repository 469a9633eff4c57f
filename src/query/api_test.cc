// The querier's HTTP API end to end in one process: two StoreAPI servers over an HA pair of
// blocks, the proxy with deduplication, the Beast HTTP server, requests over real HTTP.
#include "query/api.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "query/endpoints.h"
#include "query/proxy_source.h"
#include "storeapi/server.h"
#include "tsdb/block_writer.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

size_t Collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-api-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    for (int replica = 0; replica < 2; replica++) {
      const std::string d = (dir_ / std::to_string(replica)).string();
      fs::create_directories(d);
      tsdb::BlockWriter w(d);
      for (int s = 0; s < 4; s++) {
        Labels l{{"__name__", "http_requests_total"},
                 {"job", s < 2 ? "api" : "web"},
                 {"instance", std::to_string(s)}};
        for (int t = 0; t < 240; t++) {
          if (replica == 0 && t >= 100 && t < 140) continue;  // a gap in replica 0
          ASSERT_TRUE(w.Append(l, int64_t{t} * 15000 + replica * 3000, t * 10.0).ok());
        }
      }
      tsdb::ThanosMeta thanos;
      thanos.labels = Labels{{"cluster", "eu"}, {"replica", std::to_string(replica)}};
      ASSERT_TRUE(w.Flush(thanos).ok());
      auto dirs = tsdb::ListBlockDirs(d);
      std::vector<std::shared_ptr<const tsdb::Block>> blocks;
      for (const auto& b : *dirs) blocks.push_back(std::move(*tsdb::Block::Open(b)));
      storeapi::ServerOptions so;
      so.address = "127.0.0.1:0";
      auto srv = storeapi::StoreServer::Start(so, storeapi::NewBlocksSource(blocks));
      ASSERT_TRUE(srv.ok());
      clients_.push_back(
          storeapi::StoreClient::Connect("127.0.0.1:" + std::to_string((*srv)->port())));
      stores_.push_back(std::move(*srv));
    }
    StartApi([](ApiOptions&) {});
  }
  // (Re)starts the HTTP API over the fixture's stores; `adjust` changes the options.
  void StartApi(const std::function<void(ApiOptions&)>& adjust) {
    if (http_) http_->Shutdown();
    auto router = std::make_shared<server::Router>();
    ApiOptions opts;
    opts.proxy.replica_labels = {"replica"};
    opts.version = "test";
    opts.metrics = &registry_;
    opts.engine.default_subquery_step_ms = 30000;  // --query.default-evaluation-interval=30s
    opts.flags = {{"query.replica-label", "replica"},
                  {"http-address", "0.0.0.0:10902"},
                  {"query.replica-label", "rule_replica"}};
    adjust(opts);
    auto clients = clients_;
    RegisterApi(*router, opts, [clients](int64_t, int64_t, const Matchers&) {
      return EndpointSelection{clients, {}};
    });
    server::HttpServerOptions ho;
    ho.address = "127.0.0.1:0";
    auto http = server::HttpServer::Start(ho, router);
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }
  void TearDown() override {
    http_->Shutdown();
    for (auto& s : stores_) s->Shutdown();
    fs::remove_all(dir_);
  }

  // GET (or POST form) and return {status, body}.
  std::pair<long, std::string> Fetch(const std::string& path_and_query,
                                     const std::string& post = "", bool gzip = false) {
    CURL* c = curl_easy_init();
    std::string body;
    const std::string url = "http://127.0.0.1:" + std::to_string(http_->port()) + path_and_query;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (gzip) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_slist* headers = nullptr;
    for (const auto& h : headers_) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (!post.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.c_str());
    curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return {code, body};
  }

  fs::path dir_;
  std::vector<std::string> headers_;  // "Name: value", sent with every Fetch
  Registry registry_;
  std::vector<std::unique_ptr<storeapi::StoreServer>> stores_;
  std::vector<std::shared_ptr<storeapi::StoreClient>> clients_;
  std::unique_ptr<server::HttpServer> http_;
};

TEST_F(ApiTest, InstantQueryDeduplicatesReplicas) {
  auto [code, body] =
      Fetch("/api/v1/query?query=sum%20by%20(job)%20(http_requests_total)&time=1800");
  ASSERT_EQ(code, 200) << body;
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["data"]["resultType"], "vector");
  ASSERT_EQ(j["data"]["result"].size(), 2u);
  // Replica 0 has a gap at 1500-2100 s, so the deduplicated series follow replica 1 (3 s later
  // scrapes): at 1800 s each of the two series per job shows 1190 (its sample at 1788 s).
  for (const auto& s : j["data"]["result"]) EXPECT_EQ(s["value"][1], "2380") << body;

  auto raw = Fetch("/api/v1/query?query=count(http_requests_total)&time=1000&dedup=false");
  EXPECT_NE(raw.second.find("\"value\":[1000,\"8\"]"), std::string::npos) << raw.second;
  auto dd = Fetch("/api/v1/query?query=count(http_requests_total)&time=1000");
  EXPECT_NE(dd.second.find("\"value\":[1000,\"4\"]"), std::string::npos) << dd.second;
}

TEST_F(ApiTest, StatusAndRulesEndpointsAnswerJsonAsThanos) {
  auto [code, flags] = Fetch("/api/v1/status/flags");
  ASSERT_EQ(code, 200) << flags;
  // One key per flag (no duplicate JSON keys); repeated values joined as kingpin prints them.
  size_t keys = 0;
  for (size_t at = 0; (at = flags.find("\"query.replica-label\"", at)) != std::string::npos; at++)
    keys++;
  EXPECT_EQ(keys, 1u) << flags;
  auto f = nlohmann::json::parse(flags);
  EXPECT_EQ(f["data"]["query.replica-label"], "replica,rule_replica");
  EXPECT_EQ(f["data"]["http-address"], "0.0.0.0:10902");

  const std::pair<const char*, const char*> empty[] = {
      {"/api/v1/rules", R"({"groups":[]})"},
      {"/api/v1/rules?type=alert", R"({"groups":[]})"},
      {"/api/v1/alerts", R"({"alerts":[]})"},
      {"/api/v1/targets?state=active", R"({"activeTargets":[],"droppedTargets":[]})"},
      {"/api/v1/query_exemplars?query=up", "[]"},
      {"/api/v1/status/config", R"({"yaml":""})"},
  };
  for (const auto& [path, data] : empty) {
    auto [c, body] = Fetch(path);
    EXPECT_EQ(c, 200) << path;
    auto j = nlohmann::json::parse(body);
    EXPECT_EQ(j["status"], "success") << path;
    EXPECT_EQ(j["data"], nlohmann::json::parse(data)) << path << ": " << body;
  }
  auto [c, body] = Fetch("/api/v1/rules?type=bogus");
  EXPECT_EQ(c, 400);
  EXPECT_EQ(nlohmann::json::parse(body)["error"], "invalid rules parameter type='bogus'");
  auto t = Fetch("/api/v1/targets?state=x");
  EXPECT_EQ(t.first, 400);
  EXPECT_EQ(nlohmann::json::parse(t.second)["errorType"], "bad_data");

  auto [rc, runtime] = Fetch("/api/v1/status/runtimeinfo");
  ASSERT_EQ(rc, 200) << runtime;
  auto r = nlohmann::json::parse(runtime)["data"];
  for (const char* key :
       {"startTime", "CWD", "reloadConfigSuccess", "lastConfigTime", "corruptionCount",
        "goroutineCount", "GOMAXPROCS", "GOGC", "GODEBUG", "storageRetention"}) {
    EXPECT_TRUE(r.contains(key)) << key << " in " << runtime;
  }
  EXPECT_GT(r["goroutineCount"].get<int>(), 1);  // the process's threads
  EXPECT_EQ(r["CWD"], fs::current_path().string());
}

TEST_F(ApiTest, MetadataDefaultTimeRangeLimitsSeriesAndLabelsWithoutStartAndEnd) {
  // The fixture's samples are from 1970: all time finds them, the last hour does not.
  EXPECT_NE(Fetch("/api/v1/label/job/values").second.find("\"api\""), std::string::npos);
  StartApi([](ApiOptions& o) { o.metadata_default_range_ms = 3600 * 1000; });
  auto [code, body] = Fetch("/api/v1/label/job/values");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(nlohmann::json::parse(body)["data"], nlohmann::json::array()) << body;
  auto series = Fetch("/api/v1/series?match[]=http_requests_total");
  EXPECT_EQ(nlohmann::json::parse(series.second)["data"], nlohmann::json::array());
  // Given start and end still win.
  EXPECT_NE(Fetch("/api/v1/label/job/values?start=0&end=3600").second.find("\"api\""),
            std::string::npos);
}

TEST_F(ApiTest, SubqueriesWithoutAStepUseTheDefaultEvaluationInterval) {
  // [5m:] at 30s steps (the fixture's --query.default-evaluation-interval): 1500s..1800s, both
  // ends included as in Prometheus 2.x, is 11 points (6 with the 1m default).
  auto [code, body] = Fetch(
      "/api/v1/query?query=count_over_time(http_requests_total%7Binstance%3D%220%22%7D%5B5m%3A%5D)"
      "&time=1800");
  ASSERT_EQ(code, 200) << body;
  auto j = nlohmann::json::parse(body);
  ASSERT_EQ(j["data"]["result"].size(), 1u) << body;
  EXPECT_EQ(j["data"]["result"][0]["value"][1], "11") << body;
}

TEST_F(ApiTest, RangeQueryOverTheGapIsGapFree) {
  auto [code, body] =
      Fetch("/api/v1/query_range",
            "query=http_requests_total%7Binstance%3D%220%22%7D&start=0&end=3585&step=15");
  ASSERT_EQ(code, 200) << body;
  auto j = nlohmann::json::parse(body);
  ASSERT_EQ(j["data"]["result"].size(), 1u);
  EXPECT_FALSE(j["data"]["result"][0]["metric"].contains("replica"));
  EXPECT_EQ(j["data"]["result"][0]["values"].size(), 240u);
}

TEST_F(ApiTest, SeriesLabelsAndValues) {
  auto s = Fetch("/api/v1/series?match[]=http_requests_total%7Bjob%3D%22web%22%7D");
  EXPECT_EQ(s.first, 200);
  EXPECT_EQ(nlohmann::json::parse(s.second)["data"].size(), 2u) << s.second;
  auto l = Fetch("/api/v1/labels");
  EXPECT_EQ(l.second, R"({"status":"success","data":["__name__","cluster","instance","job"]})");
  auto v = Fetch("/api/v1/label/job/values");
  EXPECT_EQ(v.second, R"({"status":"success","data":["api","web"]})");
  auto vr = Fetch("/api/v1/label/replica/values?dedup=false");
  EXPECT_EQ(vr.second, R"({"status":"success","data":["0","1"]})");
}

TEST_F(ApiTest, BadInputGetsPrometheusErrors) {
  auto p = Fetch("/api/v1/query?query=sum(");
  EXPECT_EQ(p.first, 400);
  EXPECT_EQ(
      p.second,
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})");
  auto r = Fetch("/api/v1/query_range?query=up&start=0&end=100000&step=1");
  EXPECT_EQ(r.first, 400);
  EXPECT_NE(r.second.find("exceeded maximum resolution of 11,000 points"), std::string::npos);
  auto t = Fetch("/api/v1/query?query=up&time=yesterday");
  EXPECT_EQ(
      t.second,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp"})");
  auto s = Fetch("/api/v1/series");
  EXPECT_EQ(s.second,
            R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  EXPECT_EQ(Fetch("/nope").first, 404);
}

TEST_F(ApiTest, XFunctionsOnlyOnTheThanosEngineWhenEnabled) {
  const std::string q = "/api/v1/query?query=sum(xrate(http_requests_total[10m]))&time=3600";
  const std::string unknown =
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unknown function with name \"xrate\""})";
  EXPECT_EQ(Fetch(q + "&engine=thanos").second, unknown);  // not enabled
  StartApi([](ApiOptions& o) { o.enable_x_functions = true; });
  EXPECT_EQ(Fetch(q + "&engine=prometheus").second, unknown);
  EXPECT_EQ(Fetch(q).second, unknown);  // the default engine is prometheus
  auto thanos = Fetch(q + "&engine=thanos");
  EXPECT_EQ(thanos.first, 200) << thanos.second;
  EXPECT_NE(thanos.second.find("\"resultType\":\"vector\",\"result\":[{\"metric\":{}"),
            std::string::npos)
      << thanos.second;
  StartApi([](ApiOptions& o) {
    o.enable_x_functions = true;
    o.default_engine = "thanos";  // --query.promql-engine=thanos
  });
  EXPECT_EQ(Fetch(q).first, 200);
}

TEST_F(ApiTest, TenancyFromHeadersAndEnforcedOnEveryApi) {
  StartApi([](ApiOptions& o) {
    o.tenancy.enforce = true;
    o.tenancy.label = "job";  // the fixture's tenants: api and web
    o.tenancy.header = "X-Scope";
  });
  const std::string q = "/api/v1/query?query=sum+by+(job)(http_requests_total)&time=3600";
  headers_ = {"X-Scope: api"};
  auto api = Fetch(q);
  EXPECT_NE(api.second.find("\"metric\":{\"job\":\"api\"}"), std::string::npos) << api.second;
  EXPECT_EQ(api.second.find("web"), std::string::npos) << api.second;
  // A matcher on the tenant label is replaced, not trusted.
  auto sneaky = Fetch("/api/v1/query?query=count(http_requests_total{job=\"web\"})&time=3600");
  EXPECT_NE(sneaky.second.find("\"value\":[3600,\"2\"]"), std::string::npos) << sneaky.second;
  auto values = Fetch("/api/v1/label/job/values");
  EXPECT_NE(values.second.find("\"data\":[\"api\"]"), std::string::npos) << values.second;
  auto series = Fetch("/api/v1/series?match[]=http_requests_total");
  EXPECT_EQ(series.second.find("web"), std::string::npos) << series.second;
  EXPECT_NE(series.second.find("api"), std::string::npos) << series.second;
  headers_ = {"THANOS-TENANT: web"};  // always read when the configured header is absent
  EXPECT_NE(Fetch(q).second.find("\"metric\":{\"job\":\"web\"}"), std::string::npos);
  headers_ = {};  // the default tenant has no series
  EXPECT_NE(Fetch(q).second.find("\"result\":[]"), std::string::npos);
  headers_ = {"X-Scope: a/b"};
  EXPECT_EQ(Fetch(q).second,
            R"({"status":"error","errorType":"bad_data","error":"Tenant name not valid"})");
  StartApi([](ApiOptions& o) { o.tenancy.cert_field = "commonName"; });
  EXPECT_EQ(
      Fetch(q).second,
      R"({"status":"error","errorType":"bad_data","error":"could not get required certificate field from client cert"})");
}

TEST_F(ApiTest, QueryTelemetryBucketsBySeriesAndSamplesRead) {
  StartApi([](ApiOptions& o) { o.telemetry_series_quantiles = {4, 8}; });
  // 4 series once the replicas are deduplicated, 21 samples each in the 5m lookback.
  EXPECT_EQ(Fetch("/api/v1/query?query=count(http_requests_total)&time=3600").first, 200);
  EXPECT_EQ(Fetch("/api/v1/query?query=1").first, 200);  // read nothing: not observed
  EXPECT_EQ(Fetch("/api/v1/query_range?query=up&start=0&end=3600&step=60").first, 200);
  // 8 series without deduplication: 8 is the last quantile, so +Inf (as Thanos's findBucket).
  EXPECT_EQ(Fetch("/api/v1/query?query=count(http_requests_total)&time=3600&dedup=false").first,
            200);
  const std::string m = registry_.Expose();
  EXPECT_NE(m.find("thanos_store_api_query_duration_seconds_count{series_le=\"4\","
                   "samples_le=\"100\",tenant=\"default-tenant\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("thanos_store_api_query_duration_seconds_count{series_le=\"+Inf\","
                   "samples_le=\"1000\",tenant=\"default-tenant\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("thanos_query_range_requested_timespan_duration_seconds_bucket{le=\"3600\"} 1"),
            std::string::npos)
      << m;
}

TEST_F(ApiTest, MaxSourceResolutionPicksDataAndLookback) {
  // Ten minutes after the last sample nothing is within the 5m lookback...
  auto none = Fetch("/api/v1/query?query=count(http_requests_total)&time=4200");
  EXPECT_NE(none.second.find("\"result\":[]"), std::string::npos) << none.second;
  auto m5 =
      Fetch("/api/v1/query?query=count(http_requests_total)&time=4200&max_source_resolution=5m");
  EXPECT_NE(m5.second.find("\"result\":[]"), std::string::npos) << m5.second;
  // ...but a query reading 1h data looks back 1h (Thanos's dynamic lookback delta).
  auto h =
      Fetch("/api/v1/query?query=count(http_requests_total)&time=4200&max_source_resolution=1h");
  EXPECT_NE(h.second.find("\"value\":[4200,\"4\"]"), std::string::npos) << h.second;
  auto r = Fetch("/api/v1/query_range",
                 "query=count(http_requests_total)&start=0&end=3600&step=60&"
                 "max_source_resolution=auto");
  EXPECT_EQ(r.first, 200) << r.second;
  auto bad = Fetch("/api/v1/query?query=up&max_source_resolution=soon");
  EXPECT_EQ(bad.first, 400);
  EXPECT_NE(bad.second.find("invalid parameter \\\"max_source_resolution\\\""), std::string::npos)
      << bad.second;
  EXPECT_EQ(Fetch("/api/v1/query?query=up&engine=thanos").first, 200);
  auto engine = Fetch("/api/v1/query?query=up&engine=v8");
  EXPECT_EQ(engine.second,
            R"({"status":"error","errorType":"bad_data","error":"engine type is invalid"})");
  auto neg = Fetch("/api/v1/query?query=up&max_source_resolution=-300");
  EXPECT_EQ(neg.first, 400);
  EXPECT_NE(neg.second.find("negative 'max_source_resolution' is not accepted"), std::string::npos)
      << neg.second;
}

TEST_F(ApiTest, DeadEndpointIsAPartialResponseWarning) {
  stores_[1]->Shutdown();
  auto [code, body] = Fetch("/api/v1/query?query=count(http_requests_total)&time=1000");
  ASSERT_EQ(code, 200) << body;
  EXPECT_NE(body.find("\"warnings\":["), std::string::npos) << body;
  auto strict =
      Fetch("/api/v1/query?query=count(http_requests_total)&time=1000&partial_response=false");
  EXPECT_EQ(strict.first, 500) << strict.second;
}

TEST_F(ApiTest, MetricsCountGatedQueries) {
  Fetch("/api/v1/query?query=count(http_requests_total)&time=1000");
  auto [code, body] = Fetch("/metrics");
  ASSERT_EQ(code, 200);
  EXPECT_NE(body.find("thanos_query_gate_duration_seconds_count 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("thanos_query_gate_queries_max 20\n"), std::string::npos) << body;
  EXPECT_NE(body.find("thanos_query_gate_queries_in_flight 0\n"), std::string::npos) << body;
}

TEST_F(ApiTest, GzipWhenAsked) {
  auto [code, body] =
      Fetch("/api/v1/query_range?query=http_requests_total&start=0&end=3585&step=15&dedup=false",
            "", true);
  ASSERT_EQ(code, 200);
  auto j = nlohmann::json::parse(body);  // curl inflates it
  EXPECT_EQ(j["data"]["result"].size(), 8u);
}

}  // namespace
}  // namespace strata::query

namespace strata::query {
namespace {

TEST_F(ApiTest, EndpointSetResolvesDnsAndSkipsByTimeAndLabels) {
  const std::string port = std::to_string(stores_[0]->port());
  auto set = EndpointSet::Make(
      {"dns+localhost:" + port, "127.0.0.1:" + std::to_string(stores_[1]->port())});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  (*set)->Refresh();
  int up = 0;
  for (const auto& e : (*set)->States()) up += e.up;
  EXPECT_GE(up, 2);  // localhost may resolve to IPv4 and IPv6; the IPv4 one is up
  Matchers none;
  EXPECT_GE((*set)->Select(0, 3600000, none).clients.size(), 2u);
  EXPECT_EQ((*set)->Select(10'000'000'000, 20'000'000'000, none).clients.size(),
            static_cast<size_t>((*set)->States().size() - up));  // only endpoints that are down
  Matchers other_cluster{*Matcher::Make(MatchType::kEqual, "cluster", "us")};
  EXPECT_EQ((*set)->Select(0, 3600000, other_cluster).clients.size(),
            static_cast<size_t>((*set)->States().size() - up));
  EXPECT_TRUE(EndpointSet::Make({"dnssrv+_grpc._tcp.store"}).ok());  // SRV names need no port
  EXPECT_FALSE(EndpointSet::Make({"dnssrv+"}).ok());
  EXPECT_FALSE(EndpointSet::Make({"store-without-port"}).ok());
  auto nothing = EndpointSet::Make({"dns+no-such-host.invalid:10901"});
  ASSERT_TRUE(nothing.ok());
  (*nothing)->Refresh();
  auto sel = (*nothing)->Select(0, 1, none);
  ASSERT_EQ(sel.unavailable.size(), 1u);
  EXPECT_NE(sel.unavailable[0].find("no addresses resolved"), std::string::npos);
}

// --endpoint-strict, --store.unhealthy-timeout, --endpoint-group: a strict endpoint that is down
// stays listed and asked; a non-strict one unhealthy past the timeout is neither; an address
// given both ways is not strict; a group is one endpoint balanced by gRPC over a DNS name.
TEST_F(ApiTest, EndpointPolicyStrictUnhealthyAndGroups) {
  const std::string live = "127.0.0.1:" + std::to_string(stores_[0]->port());
  const std::string group = "localhost:" + std::to_string(stores_[1]->port());
  EndpointPolicy p;
  p.strict = {"127.0.0.1:1", live};
  p.groups = {group};
  p.unhealthy_timeout = std::chrono::milliseconds(1);  // 0 is refused: the smallest there is
  std::vector<EndpointState> seen;
  p.on_refresh = [&](const std::vector<EndpointState>& s) { seen = s; };
  auto set = EndpointSet::Make({"127.0.0.1:2", live}, std::chrono::milliseconds(500), {}, {}, p);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the timeout
  (*set)->Refresh();
  std::map<std::string, EndpointState> by;
  for (const auto& e : (*set)->States()) by[e.address] = e;
  ASSERT_EQ(by.size(), 3u) << "127.0.0.1:2 is down past the timeout and not strict";
  EXPECT_TRUE(by["127.0.0.1:1"].strict);
  EXPECT_FALSE(by["127.0.0.1:1"].up);
  EXPECT_FALSE(by[live].strict) << "also given as --endpoint";
  EXPECT_TRUE(by[live].up);
  ASSERT_TRUE(by.contains("dns:///" + group));
  EXPECT_TRUE(by["dns:///" + group].up) << by["dns:///" + group].last_error;
  EXPECT_FALSE(by["dns:///" + group].info.label_sets.empty());
  EXPECT_EQ((*set)->Select(0, 3600000, {}).clients.size(), 3u);
  EXPECT_EQ(seen.size(), 3u);
  // --selector-label: announced on every label set of the querier's own StoreAPI.
  std::shared_ptr<EndpointSet> shared = std::move(*set);
  auto source = NewProxySource(shared, Labels{{"region", "eu"}});
  const auto info = source->Info();
  ASSERT_FALSE(info.label_sets.empty());
  for (const auto& ls : info.label_sets) EXPECT_EQ(ls.Get("region"), "eu") << ls.String();
  // Strict endpoints must be static.
  EndpointPolicy dynamic;
  dynamic.strict = {"dnssrv+_grpc._tcp.store"};
  auto bad = EndpointSet::Make({}, std::chrono::seconds(1), {}, {}, dynamic);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not permitted under strict mode"), std::string::npos);
}

TEST(SelectorLabelsTest, MatchersOnSelectorLabelsAreCheckedAndRemoved) {
  const Labels sel{{"region", "eu"}};
  auto m = [](const char* n, const char* v, MatchType t = MatchType::kEqual) {
    return *Matcher::Make(t, n, v);
  };
  auto kept =
      ApplySelectorLabels(sel, {m("__name__", "up"), m("region", "e.*", MatchType::kRegexMatch)});
  ASSERT_TRUE(kept.ok() && kept->has_value());
  ASSERT_EQ((*kept)->size(), 1u);
  EXPECT_EQ((**kept)[0].name(), "__name__");
  auto other = ApplySelectorLabels(sel, {m("__name__", "up"), m("region", "us")});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto only = ApplySelectorLabels(sel, {m("region", "eu")});
  EXPECT_EQ(only.status().message(), "no matchers specified (excluding selector labels)");
  EXPECT_EQ((*ApplySelectorLabels({}, {m("region", "us")}))->size(), 1u);
}

}  // namespace
}  // namespace strata::query

#include "dedup/dedup.h"
#include "promql/engine.h"
#include "query/proxy_source.h"

namespace strata::query {
namespace {

TEST_F(ApiTest, QuerierStoreApiCanBeStacked) {
  auto set = EndpointSet::Make({"127.0.0.1:" + std::to_string(stores_[0]->port()),
                                "127.0.0.1:" + std::to_string(stores_[1]->port())});
  ASSERT_TRUE(set.ok());
  std::shared_ptr<EndpointSet> eps = std::move(*set);
  eps->Refresh();
  storeapi::ServerOptions so;
  so.address = "127.0.0.1:0";
  so.component_type = "query";
  auto srv = storeapi::StoreServer::Start(so, NewProxySource(eps));
  ASSERT_TRUE(srv.ok());
  std::shared_ptr<storeapi::StoreClient> top =
      storeapi::StoreClient::Connect("127.0.0.1:" + std::to_string((*srv)->port()));
  auto info = top->Info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->label_sets.size(), 2u);
  promql::Engine engine;
  auto raw = engine.InstantQuery(*top, "count(http_requests_total)", 1000000);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  ASSERT_EQ(raw->vector.size(), 1u);
  EXPECT_EQ(raw->vector[0].v, 8);  // both replicas pass through the middle querier
  auto deduped = dedup::NewDedupQuerier(top, {"replica"});
  auto dd = engine.InstantQuery(*deduped, "count(http_requests_total)", 1000000);
  ASSERT_TRUE(dd.ok());
  EXPECT_EQ(dd->vector[0].v, 4);
  // A querier above asks the middle one to leave the replica label out, and deduplicates as the
  // series stream in: the same answer as deduplicating everything at once.
  EXPECT_TRUE(top->supports_without_labels());
  ProxyOptions po;
  po.replica_labels = {"replica"};
  ProxyQuerier above(
      [top](int64_t, int64_t, const Matchers&) {
        return EndpointSelection{{top}, {}};
      },
      po);
  const std::string q = "sum by (instance) (rate(http_requests_total[2m]))";
  auto streamed = engine.RangeQuery(above, q, 0, 3600000, 60000);
  auto buffered = engine.RangeQuery(*deduped, q, 0, 3600000, 60000);
  ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
  ASSERT_TRUE(buffered.ok());
  ASSERT_EQ(streamed->matrix.size(), 4u);
  ASSERT_EQ(streamed->matrix.size(), buffered->matrix.size());
  for (size_t i = 0; i < streamed->matrix.size(); i++) {
    EXPECT_EQ(streamed->matrix[i].labels, buffered->matrix[i].labels);
    ASSERT_EQ(streamed->matrix[i].points.size(), buffered->matrix[i].points.size());
    for (size_t j = 0; j < streamed->matrix[i].points.size(); j++) {
      EXPECT_EQ(streamed->matrix[i].points[j].t, buffered->matrix[i].points[j].t);
      EXPECT_EQ(streamed->matrix[i].points[j].v, buffered->matrix[i].points[j].v);
    }
  }
  auto names = top->LabelValues("replica", {}, 0, 10000000);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);
  (*srv)->Shutdown();
}

}  // namespace
}  // namespace strata::query
