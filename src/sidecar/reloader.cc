#include "sidecar/reloader.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/env.h"
#include "base/file.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/timestamp.h"

namespace strata::sidecar {
namespace fs = std::filesystem;
namespace {

bool IsGzip(const std::string& b) {
  return b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0x1f &&
         static_cast<uint8_t>(b[1]) == 0x8b && static_cast<uint8_t>(b[2]) == 0x08;
}

Result<std::string> Gunzip(const std::string& in, const std::string& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[64 * 1024];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return Status::Corruption("gunzip " + path + ": truncated or corrupt gzip data");
  return out;
}

// One digest over every regular file under the dirs (recursively, symlinks followed for
// files), with their paths, so that adding, removing or editing a rule file changes it.
Result<std::string> HashRuleDirs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return std::string();
  std::string all;
  for (const auto& d : dirs) {
    std::error_code ec;
    const fs::path root = fs::canonical(d, ec);
    if (ec) return Status::IOError("resolve rule dir " + d + ": " + ec.message());
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      std::error_code st_ec;
      if (!fs::is_directory(it->path(), st_ec) && !st_ec) files.push_back(it->path().string());
    }
    if (ec) return Status::IOError("walk rule dir " + d + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      STRATA_ASSIGN_OR_RETURN(std::string content, ReadFile(f));
      all += '\xff' + f + '\xff' + content;
    }
  }
  return Sha256Hex(all);
}

// The first process whose command name (/proc/<pid>/stat, at most 15 characters) is `name`.
Result<pid_t> FindProcess(const std::string& name) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return Status::IOError(std::string("open /proc: ") + std::strerror(errno));
  pid_t found = -1;
  while (dirent* e = readdir(proc)) {
    char* end;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    if (stat.compare(open + 1, close - open - 1, name) == 0) {
      found = static_cast<pid_t>(pid);
      break;
    }
  }
  closedir(proc);
  if (found < 0) return Status::NotFound("failed to find process matching \"" + name + "\"");
  return found;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

Reloader::Reloader(ReloaderOptions opts, std::shared_ptr<PrometheusClient> prometheus, Registry& m)
    : opts_(std::move(opts)), prometheus_(std::move(prometheus)) {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) stop_pipe_[0] = stop_pipe_[1] = -1;
  const std::string p = "thanos_sidecar_reloader_";
  auto counter = [&](const std::string& n, const std::string& help) {
    return &m.AddCounter(p + n, help).WithLabelValues({});
  };
  auto gauge = [&](const std::string& n, const std::string& help) {
    return &m.AddGauge(p + n, help).WithLabelValues({});
  };
  reloads_ = counter("reloads_total", "Total number of reload requests.");
  reloads_failed_ = counter("reloads_failed_total", "Total number of reload requests that failed.");
  last_successful_ =
      gauge("last_reload_successful", "Whether the last reload attempt was successful");
  last_success_time_ =
      gauge("last_reload_success_timestamp_seconds", "Timestamp of the last successful reload");
  applies_ = counter("config_apply_operations_total", "Total number of config apply operations.");
  applies_failed_ = counter("config_apply_operations_failed_total",
                            "Total number of config apply operations that failed.");
  watches_ = gauge("watches", "Number of resources watched by the reloader.");
  watch_events_ = counter("watch_events_total",
                          "Total number of events received by the reloader from the watcher.");
  watch_errors_ = counter("watch_errors_total",
                          "Total number of errors received by the reloader from the watcher.");
  m.AddGauge(p + "info",
             "A metric with a constant '1' value labeled by reload method (either "
             "using signal or HTTP).",
             {"method"})
      .WithLabelValues({opts_.signal ? "signal" : "http"})
      .Set(1);
}

Reloader::~Reloader() {
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void Reloader::Stop() {
  stopped_ = true;
  if (stop_pipe_[1] >= 0) {
    const char c = 0;
    [[maybe_unused]] ssize_t n = write(stop_pipe_[1], &c, 1);
  }
}

bool Reloader::Sleep(int64_t ms) {
  if (stopped_) return false;
  pollfd p{stop_pipe_[0], POLLIN, 0};
  poll(&p, 1, static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30)));
  return !stopped_;
}

Status Reloader::Apply(int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  std::string config_hash;
  if (!opts_.config_file.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::string raw, ReadFile(opts_.config_file));
    config_hash = Sha256Hex({"\xff", opts_.config_file, "\xff", raw});
    if (!opts_.config_envsubst_file.empty()) {
      if (IsGzip(raw)) {
        STRATA_ASSIGN_OR_RETURN(raw, Gunzip(raw, opts_.config_file));
      }
      auto expanded = ExpandEnvParens(raw);
      if (!expanded.ok()) return expanded.status().WithContext("expand environment variables");
      // Via a temporary file and a rename: Prometheus never reads half a config.
      STRATA_RETURN_IF_ERROR(WriteFileAtomic(opts_.config_envsubst_file, *expanded));
    }
  }
  STRATA_ASSIGN_OR_RETURN(const std::string dirs_hash, HashRuleDirs(opts_.rule_dirs));
  if (!force_reload_ && config_hash == last_config_hash_ && dirs_hash == last_dirs_hash_)
    return Status::OK();
  if (timeout_ms <= 0) return Status::OK();  // --reloader.watch-interval=0s: substitution only
  while (true) {
    reloads_->Inc();
    Status st = TriggerReload(deadline);
    if (st.ok()) {
      force_reload_ = false;
      last_config_hash_ = config_hash;
      last_dirs_hash_ = dirs_hash;
      log::Info("Reload triggered", {{"cfg_in", opts_.config_file},
                                     {"cfg_out", opts_.config_envsubst_file},
                                     {"watched_dirs", Join(opts_.rule_dirs, ", ")}});
      last_successful_->Set(1);
      last_success_time_->SetToCurrentTime();
      return Status::OK();
    }
    reloads_failed_->Inc();
    last_successful_->Set(0);
    log::Error("function failed. Retrying in next tick",
               {{"err", "trigger reload: " + st.ToString()}});
    if (NowMs() + opts_.retry_interval_ms >= deadline || !Sleep(opts_.retry_interval_ms)) break;
  }
  // Reload at the next check even if nothing changes by then.
  force_reload_ = true;
  log::Error("Failed to trigger reload. Retrying.");
  return Status::OK();
}

Status Reloader::TriggerReload(int64_t deadline_ms) {
  const int64_t left = std::max<int64_t>(1, deadline_ms - NowMs());
  if (!opts_.signal) return prometheus_->Reload(left);
  return SignalReload(deadline_ms);
}

Status Reloader::SignalReload(int64_t deadline_ms) {
  auto before = prometheus_->LastReload(std::max<int64_t>(1, deadline_ms - NowMs()));
  if (!before.ok()) {
    return before.status().WithContext(
        "pre-reload check failed: failed to get config status before reload");
  }
  STRATA_ASSIGN_OR_RETURN(const pid_t pid, FindProcess(opts_.process_name));
  // Prometheus reports its last reload to the second: a reload within the second of the one
  // before would look like no reload at all (Thanos then waits out its whole timeout). Signal
  // once the second has turned.
  const int64_t next_second_ms = (before->time_ns / 1'000'000'000 + 1) * 1000;
  if (NowMs() < next_second_ms && !Sleep(next_second_ms - NowMs()))
    return Status::IOError("stopped");
  if (kill(pid, SIGHUP) != 0) {
    return Status::IOError("failed to send SIGHUP to pid " + std::to_string(pid) + ": " +
                           std::strerror(errno));
  }
  // Prometheus reloads asynchronously: wait until it reports a newer load.
  while (NowMs() < deadline_ms) {
    if (!Sleep(std::min<int64_t>(1000, deadline_ms - NowMs()))) break;
    auto now = prometheus_->LastReload(std::max<int64_t>(1, deadline_ms - NowMs()));
    if (!now.ok()) continue;
    if (now->success && now->time_ns > before->time_ns) return Status::OK();
    if (before->success && !now->success)
      return Status::IOError("post-reload check failed: configuration reload has failed");
  }
  return Status::IOError(
      std::string("post-reload check failed: deadline exceeded: configuration reload ") +
      (before->success ? "successful" : "failed") +
      " (last successful reload before the signal at " +
      FormatRfc3339Ms(before->time_ns / 1'000'000) + ")");
}

Status Reloader::Run() {
  if (opts_.config_file.empty() && opts_.rule_dirs.empty()) {
    log::Info("nothing to be watched");
    while (Sleep(1 << 30)) {
    }
    return Status::OK();
  }
  log::Info(opts_.signal ? "reloading via process signal" : "reloading via HTTP");
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::IOError(std::string("inotify_init1: ") + std::strerror(errno));
  struct CloseFd {
    int fd;
    ~CloseFd() { close(fd); }
  } closer{fd};
  // Directories, so that a config or rule file replaced by a rename (as Kubernetes updates
  // ConfigMaps) is still seen; anything in them triggers a check, and the digests tell
  // whether it matters.
  constexpr uint32_t kMask =
      IN_CREATE | IN_DELETE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB;
  std::set<std::string> watched;
  int config_wd = -1;
  // What the reloader writes itself is not a change to react to.
  std::set<std::string> own_files;
  if (!opts_.config_envsubst_file.empty()) {
    const std::string out = fs::path(opts_.config_envsubst_file).filename().string();
    own_files = {out, out + ".tmp"};
  }
  if (!opts_.config_file.empty()) {
    std::error_code ec;
    if (!fs::exists(opts_.config_file, ec)) {
      return Status::IOError("add config file " + opts_.config_file +
                             " to watcher: no such file or directory");
    }
    const std::string dir = fs::absolute(opts_.config_file).parent_path().string();
    config_wd = inotify_add_watch(fd, dir.c_str(), kMask);
    if (config_wd < 0) {
      return Status::IOError("add config file " + opts_.config_file +
                             " to watcher: " + std::strerror(errno));
    }
    watched.insert(dir);
    watched.insert(opts_.config_file);
  }
  // Rule dirs are watched before the first check (Thanos adds them after it, and misses what
  // changes meanwhile until the next interval).
  for (const auto& d : opts_.rule_dirs) {
    if (inotify_add_watch(fd, d.c_str(), kMask) < 0)
      return Status::IOError("add directory " + d + " to watcher: " + std::strerror(errno));
    watched.insert(d);
  }
  watches_->Set(static_cast<double>(watched.size()));
  if (!opts_.config_file.empty()) STRATA_RETURN_IF_ERROR(Apply(opts_.watch_interval_ms));
  if (opts_.watch_interval_ms == 0) return Status::OK();
  log::Info("started watching config file and directories for changes",
            {{"cfg", opts_.config_file},
             {"out", opts_.config_envsubst_file},
             {"dirs", Join(opts_.rule_dirs, ",")}});
  int64_t next_tick = NowMs() + opts_.watch_interval_ms;
  while (!stopped_) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int64_t wait = std::max<int64_t>(0, next_tick - NowMs());
    const int n = poll(p, 2, static_cast<int>(std::min<int64_t>(wait, 1 << 30)));
    if (stopped_) break;
    bool check = false;
    if (n == 0 || NowMs() >= next_tick) {
      next_tick = NowMs() + opts_.watch_interval_ms;
      check = true;
    }
    if (n > 0 && (p[0].revents & POLLIN)) {
      alignas(inotify_event) char buf[16 * 1024];
      const ssize_t got = read(fd, buf, sizeof buf);
      if (got < 0 && errno != EAGAIN) {
        watch_errors_->Inc();
        log::Error("watch error", {{"err", std::strerror(errno)}});
      }
      for (ssize_t off = 0; got > 0 && off < got;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        if (e->wd == config_wd && e->len > 0 && own_files.count(e->name) > 0) continue;
        watch_events_->Inc();
        if (e->mask & IN_Q_OVERFLOW) watch_errors_->Inc();
        check = true;
      }
    }
    if (!check) continue;
    applies_->Inc();
    if (Status st = Apply(opts_.watch_interval_ms); !st.ok()) {
      applies_failed_->Inc();
      log::Error("apply error", {{"err", st.ToString()}});
    }
  }
  return Status::OK();
}

}  // namespace strata::sidecar
