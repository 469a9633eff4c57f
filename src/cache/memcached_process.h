// For tests: a real memcached (Debian's /usr/bin/memcached) on a free loopback port, killed
// when destroyed. Tests skip when it is not installed.
#pragma once

#include <sys/types.h>

#include <string>

namespace strata::cache {

class MemcachedProcess {
 public:
  MemcachedProcess() = default;
  ~MemcachedProcess() { Kill(); }
  MemcachedProcess(const MemcachedProcess&) = delete;
  MemcachedProcess& operator=(const MemcachedProcess&) = delete;

  static bool Installed();
  // Starts it and waits until it accepts connections; false (with *error) if it does not.
  bool Start(std::string* error);
  void Kill();  // SIGKILL, as a crash; idempotent
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  bool Reachable() const;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace strata::cache
