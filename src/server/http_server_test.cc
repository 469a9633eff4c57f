#include "server/http_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "base/log.h"

namespace strata::server {
namespace {

size_t Collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

// One client connection, kept alive between requests (libcurl reuses it).
class Connection {
 public:
  explicit Connection(int port) : port_(port), curl_(curl_easy_init()) {}
  ~Connection() { curl_easy_cleanup(curl_); }
  // The body of GET path, or "error: ..." (also after 10 s without an answer).
  std::string Get(const std::string& path) {
    std::string body;
    const std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) return std::string("error: ") + curl_easy_strerror(rc);
    return body;
  }
  long LocalPort() {
    long p = 0;
    curl_easy_getinfo(curl_, CURLINFO_LOCAL_PORT, &p);
    return p;
  }

 private:
  int port_;
  CURL* curl_;
};

// Handlers that block until released, to hold a worker or a pool thread.
class Blocking {
 public:
  HttpResponse Wait() {
    entered_++;
    released_.wait();
    return {200, "text/plain", "released", {}};
  }
  void Release() {
    if (!done_.exchange(true)) promise_.set_value();
  }
  bool WaitEntered(int n) {
    for (int i = 0; i < 1000 && entered_.load() < n; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return entered_.load() >= n;
  }
  ~Blocking() { Release(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> released_{promise_.get_future().share()};
  std::atomic<int> entered_{0};
  std::atomic<bool> done_{false};
};

// Each connection stays on one worker thread; a request alone on its worker is served there,
// and once connections share a worker their requests go to the handler pool. Either way, a
// request held in its handler must not hold up other connections' requests.
TEST(HttpServerTest, AHeldRequestDoesNotHoldUpOtherConnections) {
  Blocking blocking;
  auto router = std::make_shared<Router>();
  router->Handle("/block", [&](const HttpRequest&) { return blocking.Wait(); });
  router->Handle("/fast", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "fast " + r.Param("n"), {}};
  });
  HttpServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.threads = 2;
  auto server = HttpServer::Start(opts, router);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();

  // A: alone on worker 1, held in its handler on that worker's thread.
  auto a = std::async(std::launch::async, [&] { return Connection(port).Get("/block"); });
  ASSERT_TRUE(blocking.WaitEntered(1));
  // B: goes to worker 2, the one not busy.
  Connection b(port);
  EXPECT_EQ(b.Get("/fast?n=1"), "fast 1");
  // C: worker 1 is busy, so C shares worker 2 with B, and C's request is held in the pool.
  auto c = std::async(std::launch::async, [&] { return Connection(port).Get("/block"); });
  ASSERT_TRUE(blocking.WaitEntered(2));
  // B keeps being answered on its connection, and new connections are too.
  for (int i = 2; i < 6; i++)
    EXPECT_EQ(b.Get("/fast?n=" + std::to_string(i)), "fast " + std::to_string(i));
  for (int i = 0; i < 4; i++) EXPECT_EQ(Connection(port).Get("/fast?n=x"), "fast x");
  blocking.Release();
  EXPECT_EQ(a.get(), "released");
  EXPECT_EQ(c.get(), "released");
  (*server)->Shutdown();
}

TEST(HttpServerTest, KeepAliveConnectionAnswersManyRequestsAndShutdownIsClean) {
  auto router = std::make_shared<Router>();
  router->Handle("/n", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.Param("i"), {}};
  });
  HttpServerOptions opts;
  opts.address = "127.0.0.1:0";
  opts.threads = 3;
  auto server = HttpServer::Start(opts, router);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Connection c((*server)->port());
  long first_port = 0;
  for (int i = 0; i < 200; i++) {
    ASSERT_EQ(c.Get("/n?i=" + std::to_string(i)), std::to_string(i));
    if (i == 0) first_port = c.LocalPort();
    EXPECT_EQ(c.LocalPort(), first_port) << "the connection was not kept alive";
  }
  // Shutdown with a connection still open and idle returns, and the server closes it.
  (*server)->Shutdown();
  server->reset();
  EXPECT_TRUE(c.Get("/n?i=1").starts_with("error:"));
}

// --http-grace-period: a request being served when shutdown starts is still answered; no new
// connection is accepted meanwhile; and without requests in flight shutdown does not wait.
TEST(HttpServerTest, ShutdownLetsRequestsInFlightFinishWithinTheGracePeriod) {
  auto blocking = std::make_shared<Blocking>();
  auto router = std::make_shared<Router>();
  router->Handle("/hold", [blocking](const HttpRequest&) { return blocking->Wait(); });
  router->Handle("/ok", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "ok", {}};
  });
  auto srv = HttpServer::Start({.address = "127.0.0.1:0"}, router);
  ASSERT_TRUE(srv.ok()) << srv.status().ToString();
  const int port = (*srv)->port();
  auto held = std::async(std::launch::async, [port] { return Connection(port).Get("/hold"); });
  ASSERT_TRUE(blocking->WaitEntered(1));
  auto shutdown = std::async(std::launch::async, [&] { (*srv)->Shutdown(10000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(shutdown.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "shutdown waits for the request in flight";
  EXPECT_NE(Connection(port).Get("/ok"), "ok") << "no new connections while draining";
  blocking->Release();
  EXPECT_EQ(held.get(), "released");
  EXPECT_EQ(shutdown.wait_for(std::chrono::seconds(5)), std::future_status::ready);

  auto idle = HttpServer::Start({.address = "127.0.0.1:0"}, router);
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(Connection((*idle)->port()).Get("/ok"), "ok");  // a kept-alive, idle connection
  const auto t0 = std::chrono::steady_clock::now();
  (*idle)->Shutdown(60000);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(HttpServerTest, RequestLoggingLogsTheConfiguredRequests) {
  auto router = std::make_shared<Router>();
  router->Handle("/api/v1/query", [](const HttpRequest&) {
    return HttpResponse{200, "application/json", "{}", {}};
  });
  router->Handle("/api/v1/fail", [](const HttpRequest&) {
    return HttpResponse{503, "text/plain", "down", {}};
  });
  router->Handle("/ui", [](const HttpRequest&) { return HttpResponse{200, "text/html", "", {}}; });
  HttpServerOptions o;
  o.address = "127.0.0.1:0";
  o.request_logging = *ParseRequestLogging(
      "http:\n  options: {level: DEBUG, decision: {log_start: true, log_end: true}}\n");
  o.handler_name = [](std::string_view path) {
    return path.starts_with("/api/v1/") ? std::string(path.substr(8)) : std::string();
  };
  Registry metrics;
  o.metrics = &metrics;
  o.tenant_of = [](const HttpRequest&) { return std::string("team-a"); };
  auto srv = HttpServer::Start(o, router);
  ASSERT_TRUE(srv.ok()) << srv.status().ToString();
  ASSERT_TRUE(log::Configure("debug", "logfmt").ok());
  testing::internal::CaptureStderr();
  Connection c((*srv)->port());
  EXPECT_EQ(c.Get("/api/v1/query?query=up"), "{}");
  EXPECT_EQ(c.Get("/api/v1/fail"), "down");
  EXPECT_EQ(c.Get("/ui"), "");
  const std::string logs = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(log::Configure("info", "logfmt").ok());
  EXPECT_NE(logs.find("level=debug msg=\"started call\" protocol=http http.component=server"),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("http.method=\"GET /api/v1/query?query=up\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("level=debug msg=\"finished call\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("http.status_code=200"), std::string::npos) << logs;
  EXPECT_NE(logs.find("thanos.method_name=query"), std::string::npos) << logs;
  // A 5xx ends at error level; paths without a name (the UI) are not logged.
  EXPECT_NE(logs.find("level=error msg=\"finished call\" protocol=http http.component=server "
                      "http.method=\"GET /api/v1/fail\""),
            std::string::npos)
      << logs;
  EXPECT_EQ(logs.find("/ui"), std::string::npos) << logs;
  // Thanos's HTTP metrics, per handler and tenant.
  const std::string m = metrics.Expose();
  EXPECT_NE(m.find("http_requests_total{code=\"200\",handler=\"query\",method=\"get\","
                   "tenant=\"team-a\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("http_requests_total{code=\"503\",handler=\"fail\""), std::string::npos);
  EXPECT_NE(m.find("http_request_duration_seconds_count{code=\"200\",handler=\"query\""),
            std::string::npos);
  EXPECT_NE(m.find("http_response_size_bytes_bucket{code=\"200\",handler=\"query\",method="
                   "\"get\",tenant=\"team-a\",le=\"64\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("http_inflight_requests{handler=\"query\",method=\"get\",tenant=\"team-a\"} 0"),
            std::string::npos);
  EXPECT_EQ(m.find("handler=\"\""), std::string::npos);  // the UI is not measured
}

}  // namespace
}  // namespace strata::server
