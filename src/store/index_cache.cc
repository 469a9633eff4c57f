#include "store/index_cache.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <list>
#include <mutex>
#include <set>
#include <unordered_map>

#include "base/bytesize.h"
#include "base/duration.h"
#include "objstore/config.h"
#include "store/memcached_cache.h"

namespace strata::store {
namespace {

// Counts requests and hits per item type (Thanos's thanos_store_index_cache_* families).
class InstrumentedCache : public IndexCache {
 public:
  InstrumentedCache(std::unique_ptr<IndexCache> inner, Registry& r) : inner_(std::move(inner)) {
    requests_ = &r.AddCounter("thanos_store_index_cache_requests_total",
                              "Total number of items requests to the cache.", {"item_type"});
    hits_ = &r.AddCounter("thanos_store_index_cache_hits_total",
                          "Total number of items requests to the cache that were a hit.",
                          {"item_type"});
  }
  std::vector<std::optional<std::string>> Fetch(CacheItem item,
                                                const std::vector<std::string>& keys) override {
    auto out = inner_->Fetch(item, keys);
    size_t hits = 0;
    for (const auto& v : out) hits += v.has_value();
    requests_->WithLabelValues({CacheItemName(item)}).Inc(static_cast<double>(keys.size()));
    hits_->WithLabelValues({CacheItemName(item)}).Inc(static_cast<double>(hits));
    return out;
  }
  void Store(CacheItem item, const std::string& key, std::string value) override {
    inner_->Store(item, key, std::move(value));
  }

 private:
  std::unique_ptr<IndexCache> inner_;
  Family<Counter>* requests_;
  Family<Counter>* hits_;
};

// One LRU list over both item types; sizes count key and value bytes.
class InMemoryCache : public IndexCache {
 public:
  InMemoryCache(uint64_t max_size, uint64_t max_item_size, Registry& r)
      : max_size_(max_size), max_item_size_(max_item_size) {
    added_ =
        &r.AddCounter("thanos_store_index_cache_items_added_total",
                      "Total number of items that were added to the index cache.", {"item_type"});
    evicted_ = &r.AddCounter("thanos_store_index_cache_items_evicted_total",
                             "Total number of items that were evicted from the index cache.",
                             {"item_type"});
    overflow_ = &r.AddCounter("thanos_store_index_cache_items_overflowed_total",
                              "Total number of items that could not be added to the cache due "
                              "to being too big.",
                              {"item_type"});
    items_ = &r.AddGauge("thanos_store_index_cache_items",
                         "Current number of items in the index cache.", {"item_type"});
    size_ = &r.AddGauge("thanos_store_index_cache_items_size_bytes",
                        "Current byte size of items in the index cache.", {"item_type"});
    r.AddGauge("thanos_store_index_cache_max_size_bytes",
               "Maximum number of bytes to be held in the index cache.")
        .WithLabelValues({})
        .Set(static_cast<double>(max_size));
    r.AddGauge("thanos_store_index_cache_max_item_size_bytes",
               "Maximum number of bytes for single entry to be held in the index cache.")
        .WithLabelValues({})
        .Set(static_cast<double>(max_item_size));
  }

  std::vector<std::optional<std::string>> Fetch(CacheItem,
                                                const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < keys.size(); i++) {
      auto it = index_.find(keys[i]);
      if (it == index_.end()) continue;
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
      out[i] = it->second->value;
    }
    return out;
  }

  void Store(CacheItem item, const std::string& key, std::string value) override {
    const uint64_t size = key.size() + value.size();
    const char* type = CacheItemName(item);
    if (size > max_item_size_ || size > max_size_) {
      overflow_->WithLabelValues({type}).Inc();
      return;
    }
    std::lock_guard<std::mutex> l(mu_);
    if (index_.contains(key)) return;
    while (used_ + size > max_size_ && !lru_.empty()) {
      const Entry& e = lru_.back();
      Account(e, -1);
      evicted_->WithLabelValues({CacheItemName(e.item)}).Inc();
      index_.erase(e.key);
      lru_.pop_back();
    }
    lru_.push_front(Entry{item, key, std::move(value)});
    index_.emplace(key, lru_.begin());
    Account(lru_.front(), 1);
    added_->WithLabelValues({type}).Inc();
  }

 private:
  struct Entry {
    CacheItem item;
    std::string key;
    std::string value;
  };
  void Account(const Entry& e, int sign) {
    const auto size = static_cast<double>(e.key.size() + e.value.size());
    used_ = sign > 0 ? used_ + static_cast<uint64_t>(size) : used_ - static_cast<uint64_t>(size);
    items_->WithLabelValues({CacheItemName(e.item)}).Add(sign);
    size_->WithLabelValues({CacheItemName(e.item)}).Add(sign * size);
  }

  const uint64_t max_size_, max_item_size_;
  std::mutex mu_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t used_ = 0;
  Family<Counter>* added_;
  Family<Counter>* evicted_;
  Family<Counter>* overflow_;
  Family<Gauge>* items_;
  Family<Gauge>* size_;
};

std::string HexSha256(std::string_view a, std::string_view b) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, "\xff", 1);  // never part of a label name, so pairs cannot collide
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

Status CheckKeys(const YAML::Node& node, const std::set<std::string>& known, const char* what) {
  if (!node) return Status::OK();
  if (!node.IsMap()) return Status::InvalidArgument(std::string(what) + " must be a mapping");
  for (const auto& kv : node) {
    const auto k = kv.first.as<std::string>();
    if (!known.contains(k)) {
      return Status::InvalidArgument(std::string(what) + ": unknown field \"" + k + "\"");
    }
  }
  return Status::OK();
}

Result<uint64_t> SizeField(const YAML::Node& c, const char* key, uint64_t def) {
  if (!c || !c[key]) return def;
  auto v = ParseByteSize(c[key].as<std::string>());
  if (!v.ok()) return v.status().WithContext(std::string("index cache config: ") + key);
  return *v;
}

Result<std::unique_ptr<IndexCache>> Parse(const YAML::Node& root, uint64_t default_size,
                                          Registry& metrics) {
  STRATA_RETURN_IF_ERROR(CheckKeys(root, {"type", "config"}, "index cache config"));
  std::string type = root["type"] ? root["type"].as<std::string>() : "";
  for (auto& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const YAML::Node c = root["config"];
  if (type == "IN-MEMORY" || type == "INMEMORY") {
    STRATA_RETURN_IF_ERROR(CheckKeys(c, {"max_size", "max_item_size", "enabled_items"},
                                     "index cache config (IN-MEMORY)"));
    STRATA_ASSIGN_OR_RETURN(uint64_t max_size, SizeField(c, "max_size", default_size));
    STRATA_ASSIGN_OR_RETURN(uint64_t max_item, SizeField(c, "max_item_size", 125ull << 20));
    return NewInMemoryIndexCache(max_size, max_item, &metrics);
  }
  if (type == "MEMCACHED") {
    STRATA_RETURN_IF_ERROR(
        CheckKeys(c,
                  {"addresses", "timeout", "max_idle_connections", "max_async_concurrency",
                   "max_async_buffer_size", "max_get_multi_concurrency", "max_item_size",
                   "max_get_multi_batch_size", "dns_provider_update_interval", "auto_discovery",
                   "enabled_items", "set_async_circuit_breaker_config"},
                  "index cache config (MEMCACHED)"));
    if (!c || !c["addresses"] || !c["addresses"].IsSequence()) {
      return Status::InvalidArgument("index cache config (MEMCACHED): addresses is required");
    }
    MemcachedConfig mc;
    for (const auto& a : c["addresses"]) mc.addresses.push_back(a.as<std::string>());
    if (c["timeout"]) {
      auto t = ParseDuration(c["timeout"].as<std::string>());
      if (!t.ok()) return t.status().WithContext("index cache config (MEMCACHED): timeout");
      mc.timeout_ms = *t;
    }
    if (c["max_idle_connections"]) mc.max_idle_connections = c["max_idle_connections"].as<int>();
    if (c["max_async_buffer_size"]) {
      mc.max_async_buffer_size = c["max_async_buffer_size"].as<int>();
    }
    if (c["max_get_multi_batch_size"]) {
      mc.max_get_multi_batch_size = c["max_get_multi_batch_size"].as<int>();
    }
    STRATA_ASSIGN_OR_RETURN(mc.max_item_size, SizeField(c, "max_item_size", 1 << 20));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<IndexCache> m, NewMemcachedIndexCache(mc, &metrics));
    return std::unique_ptr<IndexCache>(new InstrumentedCache(std::move(m), metrics));
  }
  return Status::Unsupported("index cache config: type \"" + type +
                             "\" is not supported (IN-MEMORY or MEMCACHED; REDIS is not yet)");
}

}  // namespace

const char* CacheItemName(CacheItem item) {
  return item == CacheItem::kPostings ? "Postings" : "Series";
}

std::string PostingsCacheKey(std::string_view block, std::string_view name,
                             std::string_view value) {
  return "strata:P:" + std::string(block) + ":" + HexSha256(name, value);
}

std::string SeriesCacheKey(std::string_view block, uint32_t ref) {
  return "strata:S:" + std::string(block) + ":" + std::to_string(ref);
}

std::unique_ptr<IndexCache> NewInMemoryIndexCache(uint64_t max_size, uint64_t max_item_size,
                                                  Registry* metrics) {
  auto inner = std::make_unique<InMemoryCache>(max_size, max_item_size, *metrics);
  return std::make_unique<InstrumentedCache>(std::move(inner), *metrics);
}

Result<std::unique_ptr<IndexCache>> NewIndexCacheFromConfig(std::string_view yaml,
                                                            uint64_t default_size,
                                                            Registry* metrics) {
  if (yaml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return NewInMemoryIndexCache(default_size, 125ull << 20, metrics);
  }
  STRATA_ASSIGN_OR_RETURN(std::string expanded, objstore::ExpandEnv(yaml));
  try {
    return Parse(YAML::Load(expanded), default_size, *metrics);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("index cache config: ") + e.what());
  }
}

}  // namespace strata::store
