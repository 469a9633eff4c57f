#include "base/executor.h"

#include <atomic>
#include <memory>

namespace strata {

Executor::Executor(size_t threads) {
  for (size_t i = 0; i < threads; i++) workers_.emplace_back([this] { Work(); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

Executor& Executor::Shared() {
  static Executor e(16);
  return e;
}

void Executor::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void Executor::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void Executor::ParallelFor(size_t n, size_t parallelism, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // Shared with the helpers: one that starts after the loop is over must find `closed` and
  // leave without touching fn, which belongs to the caller's frame.
  struct Loop {
    std::mutex mu;
    std::condition_variable done;
    size_t next = 0;
    size_t running = 0;  // helpers inside fn's loop
    bool closed = false;
  };
  auto loop = std::make_shared<Loop>();
  auto run = [loop, n, &fn] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> l(loop->mu);
        if (loop->next >= n) return;
        i = loop->next++;
      }
      fn(i);
    }
  };
  const size_t helpers = std::min(n, parallelism == 0 ? n : parallelism) - 1;
  for (size_t h = 0; h < helpers; h++) {
    Post([loop, run] {
      {
        std::lock_guard<std::mutex> l(loop->mu);
        if (loop->closed) return;
        loop->running++;
      }
      run();
      std::lock_guard<std::mutex> l(loop->mu);
      if (--loop->running == 0) loop->done.notify_all();
    });
  }
  run();
  std::unique_lock<std::mutex> l(loop->mu);
  loop->closed = true;
  loop->done.wait(l, [&] { return loop->running == 0; });
}

}  // namespace strata
