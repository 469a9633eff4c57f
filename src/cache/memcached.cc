#include "cache/memcached.h"

#include <libmemcached/memcached.h>
#include <libmemcachedutil-1.0/util.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "cache/yaml_util.h"

namespace strata::cache {
namespace {

class MemcachedCache : public Cache {
 public:
  MemcachedCache(const MemcachedConfig& cfg, memcached_st* master, memcached_pool_st* pool,
                 Registry* metrics)
      : cfg_(cfg), master_(master), pool_(pool) {
    Registry& r = metrics ? *metrics : own_metrics_;
    ops_ = &r.AddCounter("thanos_memcached_operations_total",
                         "Total number of operations against memcached.", {"operation"});
    failures_ = &r.AddCounter("thanos_memcached_operation_failures_total",
                              "Total number of operations against memcached that failed.",
                              {"operation", "reason"});
    skipped_ = &r.AddCounter("thanos_memcached_operation_skipped_total",
                             "Total number of operations against memcached that have been skipped.",
                             {"operation", "reason"});
    duration_ = &r.AddHistogram("thanos_memcached_operation_duration_seconds",
                                "Duration of operations against memcached.", {"operation"},
                                {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 3, 6, 10});
    writer_ = std::thread([this] { WriteLoop(); });
  }

  ~MemcachedCache() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    writer_.join();
    memcached_pool_destroy(pool_);
    memcached_free(master_);
  }

  std::vector<std::optional<std::string>> Fetch(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    const size_t batch = cfg_.max_get_multi_batch_size > 0
                             ? static_cast<size_t>(cfg_.max_get_multi_batch_size)
                             : keys.size();
    for (size_t i = 0; i < keys.size(); i += batch) {
      GetMulti(keys, i, std::min(keys.size(), i + batch), &out);
    }
    return out;
  }

  void Store(const std::string& key, std::string value, int64_t ttl_ms) override {
    if (value.size() > cfg_.max_item_size) {
      skipped_->WithLabelValues({"set", "max-item-size-exceeded"}).Inc();
      return;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      if (queue_.size() >= static_cast<size_t>(cfg_.max_async_buffer_size)) {
        skipped_->WithLabelValues({"set", "async-buffer-full"}).Inc();
        return;
      }
      queue_.push_back(Item{key, std::move(value), ttl_ms});
    }
    cv_.notify_one();
  }

 private:
  // A connection from the pool, returned on scope exit.
  struct Conn {
    memcached_pool_st* pool;
    memcached_st* m;
    ~Conn() {
      if (m != nullptr) memcached_pool_push(pool, m);
    }
  };

  Conn Pop() {
    memcached_return_t rc;
    return Conn{pool_, memcached_pool_pop(pool_, true, &rc)};
  }

  void Fail(const char* op, memcached_st* m, memcached_return_t rc) {
    const bool timeout = rc == MEMCACHED_TIMEOUT;
    failures_->WithLabelValues({op, timeout ? "timeout" : "server-error"}).Inc();
    // Logged at debug: a down memcached would otherwise flood the log on every query.
    log::Debug("memcached operation failed",
               {{"op", op}, {"err", m ? memcached_last_error_message(m) : "no connection"}});
  }

  void GetMulti(const std::vector<std::string>& keys, size_t from, size_t to,
                std::vector<std::optional<std::string>>* out) {
    const auto start = std::chrono::steady_clock::now();
    ops_->WithLabelValues({"getmulti"}).Inc();
    Conn c = Pop();
    if (c.m == nullptr) return Fail("getmulti", nullptr, MEMCACHED_FAILURE);
    std::vector<const char*> ks;
    std::vector<size_t> lens;
    std::map<std::string_view, size_t> index;
    for (size_t i = from; i < to; i++) {
      ks.push_back(keys[i].data());
      lens.push_back(keys[i].size());
      index.emplace(keys[i], i);
    }
    memcached_return_t rc = memcached_mget(c.m, ks.data(), lens.data(), ks.size());
    if (rc != MEMCACHED_SUCCESS) return Fail("getmulti", c.m, rc);
    // On the stack: libmemcached frees a result it allocated itself when the fetch ends.
    memcached_result_st res;
    memcached_result_create(c.m, &res);
    while (memcached_fetch_result(c.m, &res, &rc) != nullptr) {
      std::string_view k(memcached_result_key_value(&res), memcached_result_key_length(&res));
      auto it = index.find(k);
      if (it != index.end()) {
        (*out)[it->second].emplace(memcached_result_value(&res), memcached_result_length(&res));
      }
    }
    memcached_result_free(&res);
    if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
      Fail("getmulti", c.m, rc);
    }
    duration_->WithLabelValues({"getmulti"})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  void WriteLoop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      Item item = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      ops_->WithLabelValues({"set"}).Inc();
      Conn c = Pop();
      if (c.m == nullptr) {
        Fail("set", nullptr, MEMCACHED_FAILURE);
      } else {
        memcached_return_t rc =
            memcached_set(c.m, item.key.data(), item.key.size(), item.value.data(),
                          item.value.size(), Expiry(item.ttl_ms), 0);
        if (rc != MEMCACHED_SUCCESS) Fail("set", c.m, rc);
      }
      l.lock();
    }
  }

  // memcached's expiration: whole seconds (a TTL under one second still expires), and beyond
  // 30 days an absolute Unix time.
  static time_t Expiry(int64_t ttl_ms) {
    if (ttl_ms <= 0) return 0;
    const time_t secs = static_cast<time_t>((ttl_ms + 999) / 1000);
    constexpr time_t kThirtyDays = 30 * 24 * 3600;
    return secs <= kThirtyDays ? secs : time(nullptr) + secs;
  }

  MemcachedConfig cfg_;
  memcached_st* master_;
  memcached_pool_st* pool_;
  Registry own_metrics_;
  Family<Counter>* ops_;
  Family<Counter>* failures_;
  Family<Counter>* skipped_;
  Family<Histogram>* duration_;

  std::mutex mu_;
  std::condition_variable cv_;
  struct Item {
    std::string key;
    std::string value;
    int64_t ttl_ms;
  };
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace

Result<MemcachedConfig> ParseMemcachedConfig(std::string_view config_yaml, std::string_view what,
                                             const std::set<std::string>& also_known) {
  std::set<std::string> known = {"addresses",
                                 "timeout",
                                 "max_idle_connections",
                                 "max_async_concurrency",
                                 "max_async_buffer_size",
                                 "max_get_multi_concurrency",
                                 "max_item_size",
                                 "max_get_multi_batch_size",
                                 "dns_provider_update_interval",
                                 "auto_discovery",
                                 "set_async_circuit_breaker_config"};
  known.insert(also_known.begin(), also_known.end());
  STRATA_ASSIGN_OR_RETURN(YAML::Node c, LoadYaml(config_yaml, what));
  STRATA_RETURN_IF_ERROR(CheckKeys(c, known, what));
  if (!c || !c.IsMap() || !c["addresses"] || !c["addresses"].IsSequence() ||
      c["addresses"].size() == 0) {
    return Status::InvalidArgument(std::string(what) + ": addresses is required");
  }
  MemcachedConfig mc;
  try {
    for (const auto& a : c["addresses"]) mc.addresses.push_back(a.as<std::string>());
    if (c["max_idle_connections"]) mc.max_idle_connections = c["max_idle_connections"].as<int>();
    if (c["max_async_buffer_size"]) mc.max_async_buffer_size = c["max_async_buffer_size"].as<int>();
    if (c["max_get_multi_batch_size"]) {
      mc.max_get_multi_batch_size = c["max_get_multi_batch_size"].as<int>();
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + e.what());
  }
  STRATA_ASSIGN_OR_RETURN(mc.timeout_ms, DurationField(c, "timeout", mc.timeout_ms, what));
  STRATA_ASSIGN_OR_RETURN(mc.max_item_size, SizeField(c, "max_item_size", mc.max_item_size, what));
  return mc;
}

Result<std::unique_ptr<Cache>> NewMemcached(const MemcachedConfig& cfg, Registry* metrics) {
  if (cfg.addresses.empty()) {
    return Status::InvalidArgument("memcached: no addresses configured");
  }
  memcached_st* m = memcached_create(nullptr);
  if (m == nullptr) return Status::Internal("memcached_create failed");
  for (const auto& a : cfg.addresses) {
    const size_t colon = a.rfind(':');
    std::string host = colon == std::string::npos ? a : a.substr(0, colon);
    int port = 11211;
    if (colon != std::string::npos) {
      try {
        port = std::stoi(a.substr(colon + 1));
      } catch (...) {
        port = -1;
      }
    }
    if (host.empty() || port <= 0 || port > 65535) {
      memcached_free(m);
      return Status::InvalidArgument("memcached: address \"" + a + "\" is not host:port");
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (memcached_server_add(m, host.c_str(), static_cast<in_port_t>(port)) != MEMCACHED_SUCCESS) {
      std::string err = memcached_last_error_message(m);
      memcached_free(m);
      return Status::InvalidArgument("memcached: address " + a + ": " + err);
    }
  }
  const auto t = static_cast<uint64_t>(cfg.timeout_ms);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, t);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, t);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, t * 1000);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_SND_TIMEOUT, t * 1000);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_pool_st* pool =
      memcached_pool_create(m, 1, static_cast<uint32_t>(std::max(1, cfg.max_idle_connections)));
  if (pool == nullptr) {
    memcached_free(m);
    return Status::Internal("memcached_pool_create failed");
  }
  return std::unique_ptr<Cache>(new MemcachedCache(cfg, m, pool, metrics));
}

}  // namespace strata::cache
