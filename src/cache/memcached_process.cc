#include "cache/memcached_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace strata::cache {
namespace {
constexpr const char* kBinary = "/usr/bin/memcached";
}

bool MemcachedProcess::Installed() { return access(kBinary, X_OK) == 0; }

bool MemcachedProcess::Start(std::string* error) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(s);
    *error = "no free port";
    return false;
  }
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  close(s);
  pid_ = fork();
  if (pid_ == 0) {
    const std::string p = std::to_string(port_);
    execl(kBinary, "memcached", "-l", "127.0.0.1", "-p", p.c_str(), "-U", "0", "-m", "64", "-u",
          "root", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100 && !Reachable(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!Reachable()) {
    *error = "memcached did not start on port " + std::to_string(port_);
    return false;
  }
  return true;
}

void MemcachedProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool MemcachedProcess::Reachable() const {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(s);
  return ok;
}

}  // namespace strata::cache
