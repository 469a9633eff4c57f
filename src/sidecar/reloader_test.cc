#include "sidecar/reloader.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/timestamp.h"
#include "server/http_server.h"

namespace strata::sidecar {
namespace {
namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& data) {
  std::ofstream(p, std::ios::binary) << data;
}
std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A Prometheus that answers /-/reload (with `reload_status`) and runtimeinfo (whose reload
// time is `reload_time`).
class FakePrometheus {
 public:
  FakePrometheus() {
    auto router = std::make_shared<server::Router>();
    router->Handle("/-/reload", [this](const server::HttpRequest& r) {
      if (r.method == "POST") reloads++;
      return server::HttpResponse{reload_status.load(), "text/plain", "", {}};
    });
    router->Handle("/api/v1/status/runtimeinfo", [this](const server::HttpRequest&) {
      if (on_runtimeinfo) on_runtimeinfo();
      const std::string t = FormatRfc3339Ms(reload_time.load());
      return server::HttpResponse{200,
                                  "application/json",
                                  R"({"status":"success","data":{"reloadConfigSuccess":true,)"
                                  R"("lastConfigTime":")" +
                                      t + R"("}})",
                                  {}};
    });
    server::HttpServerOptions o;
    o.address = "127.0.0.1:0";
    server_ = server::HttpServer::Start(o, router).value();
  }
  ~FakePrometheus() { server_->Shutdown(); }
  std::shared_ptr<PrometheusClient> Client() {
    return std::make_shared<PrometheusClient>("http://127.0.0.1:" +
                                              std::to_string(server_->port()));
  }

  std::atomic<int> reloads{0};
  std::atomic<int> reload_status{200};
  std::atomic<int64_t> reload_time{1'700'000'000'000};
  std::function<void()> on_runtimeinfo;

 private:
  std::unique_ptr<server::HttpServer> server_;
};

class ReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata_reloader_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "out");
    opts_.config_file = (dir_ / "prometheus.yml.gz").string();
    opts_.config_envsubst_file = (dir_ / "out" / "prometheus.yml").string();
    opts_.rule_dirs = {(dir_ / "rules").string()};
    opts_.retry_interval_ms = 50;
    setenv("STRATA_RELOADER_TEST_REPLICA", "r0", 1);
    Write(opts_.config_file,
          server::Gzip("global:\n  external_labels:\n    replica: $(STRATA_RELOADER_TEST_REPLICA)\n"
                       "    keep: ${NOT_EXPANDED}\n"));
    Write(dir_ / "rules" / "a.yml", "groups: []\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  double Metric(const std::string& name) {
    for (const auto& line : Split(registry_.Expose())) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
  }
  static std::vector<std::string> Split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1)
      out.push_back(s.substr(start, nl - start));
    return out;
  }

  fs::path dir_;
  ReloaderOptions opts_;
  Registry registry_;
  FakePrometheus prom_;
};

TEST_F(ReloaderTest, WritesTheExpandedConfigAndReloadsOnlyOnChanges) {
  Reloader r(opts_, prom_.Client(), registry_);
  ASSERT_TRUE(r.Apply(5000).ok());
  EXPECT_EQ(Read(opts_.config_envsubst_file),
            "global:\n  external_labels:\n    replica: r0\n    keep: ${NOT_EXPANDED}\n");
  EXPECT_EQ(prom_.reloads, 1);
  ASSERT_TRUE(r.Apply(5000).ok());
  EXPECT_EQ(prom_.reloads, 1);  // nothing changed
  Write(dir_ / "rules" / "b.yml", "groups: []\n");
  ASSERT_TRUE(r.Apply(5000).ok());
  EXPECT_EQ(prom_.reloads, 2);
  // A changed environment alone is not a change of the input file: no reload, as in Thanos.
  setenv("STRATA_RELOADER_TEST_REPLICA", "r1", 1);
  ASSERT_TRUE(r.Apply(5000).ok());
  EXPECT_EQ(prom_.reloads, 2);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_reloads_total"), 2);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_last_reload_successful"), 1);

  unsetenv("STRATA_RELOADER_TEST_REPLICA");
  auto st = r.Apply(5000);
  EXPECT_EQ(st.message(),
            "expand environment variables: found reference to unset environment variable "
            "\"STRATA_RELOADER_TEST_REPLICA\"");
}

TEST_F(ReloaderTest, AFailedReloadIsRetriedAndForcedNextTime) {
  prom_.reload_status = 500;
  Reloader r(opts_, prom_.Client(), registry_);
  ASSERT_TRUE(r.Apply(300).ok());  // failures are logged and retried, not errors
  EXPECT_GE(prom_.reloads, 3);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_reloads_failed_total"), prom_.reloads);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_last_reload_successful"), 0);
  prom_.reload_status = 200;
  const int before = prom_.reloads;
  ASSERT_TRUE(r.Apply(300).ok());  // nothing changed, but the last reload failed
  EXPECT_EQ(prom_.reloads, before + 1);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_last_reload_successful"), 1);
}

TEST_F(ReloaderTest, WatchesFilesAndStops) {
  opts_.watch_interval_ms = 3600 * 1000;  // only file events can trigger a check
  Reloader r(opts_, prom_.Client(), registry_);
  Status run;
  std::thread t([&] { run = r.Run(); });
  auto wait_for = [&](int n) {
    for (int i = 0; i < 200 && prom_.reloads < n; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return prom_.reloads.load();
  };
  // Files appear whole (by a rename, as Kubernetes updates a ConfigMap's files): a file
  // written in pieces may be seen, and reloaded, half-written first.
  fs::create_directories(dir_ / "staging");
  auto put = [&](const fs::path& p, const std::string& data) {
    Write(dir_ / "staging" / "f", data);
    fs::rename(dir_ / "staging" / "f", p);
  };
  EXPECT_EQ(wait_for(1), 1);  // the first check at start
  put(dir_ / "rules" / "c.yml", "groups: []\n");
  EXPECT_EQ(wait_for(2), 2);
  put(opts_.config_file, server::Gzip("global: {}\n"));
  EXPECT_EQ(wait_for(3), 3);
  EXPECT_EQ(Read(opts_.config_envsubst_file), "global: {}\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(prom_.reloads, 3);  // writing the output file does not trigger another check
  EXPECT_EQ(Metric("thanos_sidecar_reloader_watches"), 3);
  r.Stop();
  t.join();
  EXPECT_TRUE(run.ok()) << run.ToString();
}

TEST_F(ReloaderTest, MissingWatchTargetsAreErrors) {
  opts_.config_file = (dir_ / "absent.yml").string();
  Reloader r(opts_, prom_.Client(), registry_);
  EXPECT_EQ(r.Run().message(),
            "add config file " + opts_.config_file + " to watcher: no such file or directory");
  ReloaderOptions dirs;
  dirs.rule_dirs = {(dir_ / "nope").string()};
  Registry reg;
  Reloader r2(dirs, prom_.Client(), reg);
  EXPECT_EQ(r2.Run().message(),
            "add directory " + dirs.rule_dirs[0] + " to watcher: No such file or directory");
}

TEST_F(ReloaderTest, SignalMethodSendsSighupAndWaitsForTheReload) {
  // A process with a name of its own: `sleep` started through a symlink.
  const fs::path exe = dir_ / "strata-rl-test";
  fs::create_symlink("/bin/sleep", exe);
  const pid_t child = fork();
  if (child == 0) {
    execl(exe.c_str(), "strata-rl-test", "30", nullptr);
    _exit(127);
  }
  ASSERT_GT(child, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it exec
  std::atomic<int> signal_seen{0};
  prom_.on_runtimeinfo = [&] {
    int status;
    if (signal_seen == 0 && waitpid(child, &status, WNOHANG) == child) {
      signal_seen = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
      prom_.reload_time += 1000;  // "Prometheus" reloaded
    }
  };
  opts_.signal = true;
  opts_.process_name = "strata-rl-test";
  opts_.retry_interval_ms = 5000;
  Reloader r(opts_, prom_.Client(), registry_);
  ASSERT_TRUE(r.Apply(5000).ok());
  EXPECT_EQ(signal_seen, SIGHUP);
  EXPECT_EQ(Metric("thanos_sidecar_reloader_last_reload_successful"), 1);
  EXPECT_EQ(prom_.reloads, 0);  // no HTTP reload

  opts_.process_name = "strata-absent";
  Registry reg;
  Reloader absent(opts_, prom_.Client(), reg);
  ASSERT_TRUE(absent.Apply(100).ok());
  EXPECT_NE(reg.Expose().find("thanos_sidecar_reloader_reloads_failed_total 1"), std::string::npos);
}

}  // namespace
}  // namespace strata::sidecar
