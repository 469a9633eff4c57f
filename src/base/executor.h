// A fixed pool of worker threads shared by a process, so requests do not start threads of their
// own. ParallelFor spreads one loop over the pool with a bound on its parallelism; the calling
// thread works on the loop too, so a loop always progresses even when every worker is busy
// (nested loops cannot deadlock).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strata {

class Executor {
 public:
  explicit Executor(size_t threads);
  ~Executor();  // finishes queued work, then joins the workers
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs fn(i) for every i in [0, n), at most `parallelism` at once (the caller among them),
  // and returns when all have returned.
  void ParallelFor(size_t n, size_t parallelism, const std::function<void(size_t)>& fn);

  // The process's shared executor (16 workers: most of its work waits on the network).
  static Executor& Shared();

 private:
  void Post(std::function<void()> task);
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace strata
