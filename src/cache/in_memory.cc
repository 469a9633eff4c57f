#include "cache/in_memory.h"

#include <chrono>
#include <list>
#include <mutex>
#include <unordered_map>

namespace strata::cache {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class InMemoryCache : public Cache {
 public:
  InMemoryCache(const InMemoryConfig& cfg, const std::string& name, Registry& r) : cfg_(cfg) {
    auto counter = [&](const char* n, const char* help) {
      return &r.AddCounter(n, help, {"cache"}).WithLabelValues({name});
    };
    auto gauge = [&](const char* n, const char* help) {
      return &r.AddGauge(n, help, {"cache"}).WithLabelValues({name});
    };
    added_ = counter("querier_cache_added_total", "The total number of Put calls on the cache");
    added_new_ = counter("querier_cache_added_new_total",
                         "The total number of new entries added to the cache");
    evicted_ = counter("querier_cache_evicted_total", "The total number of evicted entries");
    gets_ = counter("querier_cache_gets_total", "The total number of Get calls");
    misses_ = counter("querier_cache_misses_total",
                      "The total number of Get calls that had no valid entry");
    stale_ = counter("querier_cache_stale_gets_total",
                     "The total number of Get calls that had an entry which expired");
    entries_ = gauge("querier_cache_entries", "The total number of entries");
    memory_ = gauge("querier_cache_memory_bytes", "The current cache size in bytes");
  }

  std::vector<std::optional<std::string>> Fetch(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    const int64_t now = NowMs();
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < keys.size(); i++) {
      gets_->Inc();
      auto it = index_.find(keys[i]);
      if (it == index_.end()) {
        misses_->Inc();
        continue;
      }
      if (it->second->expires_ms != 0 && now >= it->second->expires_ms) {
        misses_->Inc();
        stale_->Inc();
        continue;
      }
      out[i] = it->second->value;
    }
    return out;
  }

  void Store(const std::string& key, std::string value, int64_t ttl_ms) override {
    added_->Inc();
    if (cfg_.max_size_bytes == 0 && cfg_.max_size_items == 0) return;
    int64_t valid = cfg_.validity_ms;
    if (ttl_ms > 0 && (valid == 0 || ttl_ms < valid)) valid = ttl_ms;
    std::lock_guard<std::mutex> l(mu_);
    auto old = index_.find(key);
    const bool replacing = old != index_.end();
    if (replacing) Remove(old->second);
    Entry e{key, std::move(value), valid == 0 ? 0 : NowMs() + valid};
    const uint64_t size = SizeOf(e);
    if (cfg_.max_size_bytes > 0 && size > cfg_.max_size_bytes) {
      if (replacing) evicted_->Inc();
      return;
    }
    while (!fifo_.empty() && ((cfg_.max_size_bytes > 0 && used_ + size > cfg_.max_size_bytes) ||
                              (cfg_.max_size_items > 0 &&
                               static_cast<int64_t>(fifo_.size()) >= cfg_.max_size_items))) {
      Remove(std::prev(fifo_.end()));
      evicted_->Inc();
    }
    fifo_.push_front(std::move(e));
    index_.emplace(key, fifo_.begin());
    used_ += size;
    if (!replacing) added_new_->Inc();
    entries_->Set(static_cast<double>(fifo_.size()));
    memory_->Set(static_cast<double>(used_));
  }

 private:
  struct Entry {
    std::string key;
    std::string value;
    int64_t expires_ms;  // steady clock; 0 = never
  };
  // Key and value bytes plus the bookkeeping around them (list node, index slot).
  static uint64_t SizeOf(const Entry& e) {
    return sizeof(Entry) + e.key.size() + e.value.size() + 4 * sizeof(void*);
  }
  void Remove(std::list<Entry>::iterator it) {
    used_ -= SizeOf(*it);
    index_.erase(it->key);
    fifo_.erase(it);
    entries_->Set(static_cast<double>(fifo_.size()));
    memory_->Set(static_cast<double>(used_));
  }

  const InMemoryConfig cfg_;
  std::mutex mu_;
  std::list<Entry> fifo_;  // newest first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t used_ = 0;
  Counter* added_;
  Counter* added_new_;
  Counter* evicted_;
  Counter* gets_;
  Counter* misses_;
  Counter* stale_;
  Gauge* entries_;
  Gauge* memory_;
};

}  // namespace

std::unique_ptr<Cache> NewInMemory(const InMemoryConfig& cfg, const std::string& name,
                                   Registry* metrics) {
  return std::make_unique<InMemoryCache>(cfg, name, *metrics);
}

}  // namespace strata::cache
