#include "store/index_cache.h"

#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include "base/bytesize.h"
#include "base/duration.h"
#include "base/sha256.h"
#include "cache/memcached.h"
#include "cache/yaml_util.h"
#include "objstore/config.h"

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

// enabled_items: item types not listed are never looked up nor stored.
class EnabledItemsCache : public IndexCache {
 public:
  EnabledItemsCache(std::unique_ptr<IndexCache> inner, std::set<CacheItem> enabled)
      : inner_(std::move(inner)), enabled_(std::move(enabled)) {}
  std::vector<std::optional<std::string>> Fetch(CacheItem item,
                                                const std::vector<std::string>& keys) override {
    if (!enabled_.contains(item)) return std::vector<std::optional<std::string>>(keys.size());
    return inner_->Fetch(item, keys);
  }
  void Store(CacheItem item, const std::string& key, std::string value) override {
    if (enabled_.contains(item)) inner_->Store(item, key, std::move(value));
  }

 private:
  std::unique_ptr<IndexCache> inner_;
  const std::set<CacheItem> enabled_;
};

// The enabled_items list; an empty or absent list enables every item type.
Result<std::set<CacheItem>> ParseEnabledItems(const YAML::Node& c, std::string_view what) {
  std::set<CacheItem> out;
  if (!c || !c["enabled_items"]) return out;
  if (!c["enabled_items"].IsSequence()) {
    return Status::InvalidArgument(std::string(what) + ": enabled_items must be a list");
  }
  for (const auto& n : c["enabled_items"]) {
    const std::string name = n.as<std::string>();
    bool known = false;
    for (CacheItem item :
         {CacheItem::kPostings, CacheItem::kSeries, CacheItem::kExpandedPostings}) {
      if (name == CacheItemName(item)) {
        out.insert(item);
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument(std::string(what) +
                                     ": enabled_items: unsupported item type \"" + name +
                                     "\" (Postings, Series or ExpandedPostings)");
    }
  }
  return out;
}

// The cache with its metrics, limited to the enabled item types.
std::unique_ptr<IndexCache> Finish(std::unique_ptr<IndexCache> inner, std::set<CacheItem> enabled,
                                   Registry& metrics) {
  inner = std::make_unique<InstrumentedCache>(std::move(inner), metrics);
  if (enabled.empty()) return inner;
  return std::make_unique<EnabledItemsCache>(std::move(inner), std::move(enabled));
}

// memcached holds every item type under their distinct keys.
class MemcachedIndexCache : public IndexCache {
 public:
  explicit MemcachedIndexCache(std::unique_ptr<cache::Cache> c) : c_(std::move(c)) {}
  std::vector<std::optional<std::string>> Fetch(CacheItem,
                                                const std::vector<std::string>& keys) override {
    return c_->Fetch(keys);
  }
  void Store(CacheItem, const std::string& key, std::string value) override {
    c_->Store(key, std::move(value), 0);
  }

 private:
  std::unique_ptr<cache::Cache> c_;
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
    // Values are copied after the lock is released: store threads serving blocks in parallel
    // queued on it when the copies were made inside.
    std::vector<std::shared_ptr<const std::string>> found(keys.size());
    {
      std::lock_guard<std::mutex> l(mu_);
      for (size_t i = 0; i < keys.size(); i++) {
        auto it = index_.find(keys[i]);
        if (it == index_.end()) continue;
        lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
        found[i] = it->second->value;
      }
    }
    std::vector<std::optional<std::string>> out(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
      if (found[i] != nullptr) out[i] = *found[i];
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
    lru_.push_front(Entry{item, key, std::make_shared<const std::string>(std::move(value))});
    index_.emplace(key, lru_.begin());
    Account(lru_.front(), 1);
    added_->WithLabelValues({type}).Inc();
  }

 private:
  struct Entry {
    CacheItem item;
    std::string key;
    std::shared_ptr<const std::string> value;  // shared with Fetch calls copying it out
  };
  void Account(const Entry& e, int sign) {
    const auto size = static_cast<double>(e.key.size() + e.value->size());
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

Result<std::unique_ptr<IndexCache>> Parse(const YAML::Node& root, uint64_t default_size,
                                          Registry& metrics) {
  using cache::CheckKeys;
  STRATA_RETURN_IF_ERROR(CheckKeys(root, {"type", "config"}, "index cache config"));
  std::string type = root["type"] ? root["type"].as<std::string>() : "";
  for (auto& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const YAML::Node c = root["config"];
  if (type == "IN-MEMORY" || type == "INMEMORY") {
    constexpr std::string_view kWhat = "index cache config";
    STRATA_RETURN_IF_ERROR(CheckKeys(c, {"max_size", "max_item_size", "enabled_items"},
                                     "index cache config (IN-MEMORY)"));
    STRATA_ASSIGN_OR_RETURN(uint64_t max_size,
                            cache::SizeField(c, "max_size", default_size, kWhat));
    STRATA_ASSIGN_OR_RETURN(uint64_t max_item,
                            cache::SizeField(c, "max_item_size", 125ull << 20, kWhat));
    STRATA_ASSIGN_OR_RETURN(std::set<CacheItem> enabled, ParseEnabledItems(c, kWhat));
    return Finish(std::make_unique<InMemoryCache>(max_size, max_item, metrics), std::move(enabled),
                  metrics);
  }
  if (type == "MEMCACHED") {
    STRATA_ASSIGN_OR_RETURN(
        cache::MemcachedConfig mc,
        cache::ParseMemcachedConfig(YAML::Dump(c), "index cache config (MEMCACHED)",
                                    {"enabled_items"}));
    STRATA_ASSIGN_OR_RETURN(std::set<CacheItem> enabled,
                            ParseEnabledItems(c, "index cache config (MEMCACHED)"));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<cache::Cache> m, cache::NewMemcached(mc, &metrics));
    return Finish(std::make_unique<MemcachedIndexCache>(std::move(m)), std::move(enabled), metrics);
  }
  return Status::Unsupported("index cache config: type \"" + type +
                             "\" is not supported (IN-MEMORY or MEMCACHED; REDIS is not yet)");
}

}  // namespace

const char* CacheItemName(CacheItem item) {
  switch (item) {
    case CacheItem::kPostings:
      return "Postings";
    case CacheItem::kSeries:
      return "Series";
    case CacheItem::kExpandedPostings:
      return "ExpandedPostings";
  }
  return "unknown";
}

std::string PostingsCacheKey(std::string_view block, std::string_view name,
                             std::string_view value) {
  return "strata:P:" + std::string(block) + ":" + Sha256Hex({name, "\xff", value});
}

std::string SeriesCacheKey(std::string_view block, uint32_t ref) {
  return "strata:S:" + std::string(block) + ":" + std::to_string(ref);
}

std::string ExpandedPostingsCacheKey(std::string_view block, std::string_view matchers) {
  return "strata:E:" + std::string(block) + ":" + Sha256Hex({matchers, "\xff"});
}

std::unique_ptr<IndexCache> NewInMemoryIndexCache(uint64_t max_size, uint64_t max_item_size,
                                                  Registry* metrics) {
  return Finish(std::make_unique<InMemoryCache>(max_size, max_item_size, *metrics), {}, *metrics);
}

Result<std::unique_ptr<IndexCache>> NewIndexCacheFromConfig(std::string_view yaml,
                                                            uint64_t default_size,
                                                            Registry* metrics) {
  if (yaml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return NewInMemoryIndexCache(default_size, 125ull << 20, metrics);
  }
  STRATA_ASSIGN_OR_RETURN(std::string expanded, objstore::ExpandEnv(yaml));
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, cache::LoadYaml(expanded, "index cache config"));
  try {
    return Parse(root, default_size, *metrics);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("index cache config: ") + e.what());
  }
}

}  // namespace strata::store
