// The sidecar's config reloader (thanos sidecar --reloader.*): watches Prometheus's config file
// and rule directories, writes the config with $(ENV) references substituted (and gunzipped)
// where Prometheus reads it, and makes Prometheus reload when the config or a rule file
// changes: by POST /-/reload, or by SIGHUP to its process, confirmed through
// /api/v1/status/runtimeinfo.
// Thread-safety: Run() on one thread; Stop() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "sidecar/prometheus_client.h"

namespace strata::sidecar {

struct ReloaderOptions {
  std::string config_file;             // --reloader.config-file
  std::string config_envsubst_file;    // --reloader.config-envsubst-file
  std::vector<std::string> rule_dirs;  // --reloader.rule-dir
  int64_t watch_interval_ms = 3 * 60 * 1000;
  int64_t retry_interval_ms = 5000;
  bool signal = false;                      // --reloader.method=signal (else http)
  std::string process_name = "prometheus";  // --reloader.process-name
};

class Reloader {
 public:
  // Metrics go to `metrics` as thanos_sidecar_reloader_*.
  Reloader(ReloaderOptions opts, std::shared_ptr<PrometheusClient> prometheus, Registry& metrics);
  ~Reloader();

  // Watches until Stop(). An error (the config file or a rule dir cannot be watched, the first
  // config cannot be read, expanded or written) ends the sidecar, as in Thanos; failed reloads
  // are retried and only logged.
  Status Run();
  void Stop();

  // One check: writes the output config and reloads when something changed (or the last
  // reload failed); gives up reloading after timeout_ms. For tests.
  Status Apply(int64_t timeout_ms);

 private:
  Status TriggerReload(int64_t deadline_ms);
  Status SignalReload(int64_t deadline_ms);
  bool Sleep(int64_t ms);  // false when stopped

  const ReloaderOptions opts_;
  std::shared_ptr<PrometheusClient> prometheus_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopped_{false};
  std::string last_config_hash_, last_dirs_hash_;
  bool force_reload_ = false;

  Counter* reloads_;
  Counter* reloads_failed_;
  Gauge* last_successful_;
  Gauge* last_success_time_;
  Counter* applies_;
  Counter* applies_failed_;
  Gauge* watches_;
  Counter* watch_events_;
  Counter* watch_errors_;
};

}  // namespace strata::sidecar
