#include "base/shutdown.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "base/log.h"

namespace strata::shutdown {
namespace {

std::atomic<bool> graceful{false};
std::atomic<bool> requested{false};
std::atomic<int> signal_number{0};
std::mutex mu;
std::condition_variable cv;

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void HandleTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // threads started later inherit the mask
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    if (!graceful) std::_Exit(128 + sig);
    Request(sig);
    sigwait(&set, &sig);
    log::Warn("second termination signal, exiting now", {{"signal", std::to_string(sig)}});
    std::_Exit(128 + sig);
  }).detach();
}

void EnableGracefulStop() { graceful = true; }

void Request(int sig) {
  {
    std::lock_guard<std::mutex> l(mu);
    if (requested) return;
    signal_number = sig;
    requested = true;
  }
  cv.notify_all();
}

bool Requested() { return requested.load(std::memory_order_relaxed); }

int Signal() { return signal_number; }

bool SleepFor(int64_t ms) {
  std::unique_lock<std::mutex> l(mu);
  return !cv.wait_for(l, std::chrono::milliseconds(ms), [] { return requested.load(); });
}

int Wait() {
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [] { return requested.load(); });
  return signal_number;
}

void ResetForTest() {
  std::lock_guard<std::mutex> l(mu);
  requested = false;
  signal_number = 0;
}

}  // namespace strata::shutdown
