#include "frontend/cache_config.h"

#include <algorithm>
#include <cctype>

#include "cache/in_memory.h"
#include "cache/memcached.h"
#include "cache/yaml_util.h"
#include "objstore/config.h"

namespace strata::frontend {
namespace {

// Counts keys fetched and hits per cache, as Cortex's instrumented cache.
class InstrumentedCache : public cache::Cache {
 public:
  InstrumentedCache(std::unique_ptr<cache::Cache> c, const std::string& name, Registry* r)
      : c_(std::move(c)),
        fetched_(&r->AddCounter("cortex_cache_fetched_keys_total",
                                "Total count of keys requested from cache.", {"name"})
                      .WithLabelValues({name})),
        hits_(&r->AddCounter("cortex_cache_hits_total", "Total count of keys found in cache.",
                             {"name"})
                   .WithLabelValues({name})) {}
  std::vector<std::optional<std::string>> Fetch(const std::vector<std::string>& keys) override {
    auto got = c_->Fetch(keys);
    fetched_->Inc(static_cast<double>(keys.size()));
    hits_->Inc(static_cast<double>(
        std::count_if(got.begin(), got.end(), [](const auto& v) { return v.has_value(); })));
    return got;
  }
  void Store(const std::string& key, std::string value, int64_t ttl_ms) override {
    c_->Store(key, std::move(value), ttl_ms);
  }

 private:
  std::unique_ptr<cache::Cache> c_;
  Counter* fetched_;
  Counter* hits_;
};

}  // namespace

Result<ResponseCache> NewResponseCache(std::string_view yaml, std::string_view what,
                                       Registry* metrics) {
  STRATA_ASSIGN_OR_RETURN(std::string expanded, objstore::ExpandEnv(yaml));
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, cache::LoadYaml(expanded, what));
  try {
    STRATA_RETURN_IF_ERROR(cache::CheckKeys(root, {"type", "config"}, what));
    std::string type = root["type"] ? root["type"].as<std::string>() : "";
    for (auto& ch : type) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const YAML::Node c = root["config"];
    ResponseCache out;
    if (type == "IN-MEMORY") {
      const std::string w = std::string(what) + " (IN-MEMORY)";
      STRATA_RETURN_IF_ERROR(cache::CheckKeys(c, {"max_size", "max_size_items", "validity"}, w));
      cache::InMemoryConfig mc;
      STRATA_ASSIGN_OR_RETURN(mc.max_size_bytes, cache::SizeField(c, "max_size", 0, w));
      if (c && c["max_size_items"]) mc.max_size_items = c["max_size_items"].as<int64_t>();
      STRATA_ASSIGN_OR_RETURN(mc.validity_ms, cache::DurationField(c, "validity", 0, w));
      out.cache = std::make_unique<InstrumentedCache>(cache::NewInMemory(mc, "fifocache", metrics),
                                                      "fifocache", metrics);
      return out;
    }
    if (type == "MEMCACHED") {
      const std::string w = std::string(what) + " (MEMCACHED)";
      STRATA_ASSIGN_OR_RETURN(cache::MemcachedConfig mc,
                              cache::ParseMemcachedConfig(YAML::Dump(c), w, {"expiration"}));
      STRATA_ASSIGN_OR_RETURN(out.ttl_ms,
                              cache::DurationField(c, "expiration", 24 * 3600 * 1000, w));
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<cache::Cache> m, cache::NewMemcached(mc, metrics));
      out.cache = std::make_unique<InstrumentedCache>(std::move(m), "memcache", metrics);
      return out;
    }
    return Status::Unsupported(std::string(what) + ": response cache with type \"" + type +
                               "\" is not supported (IN-MEMORY or MEMCACHED; REDIS is not yet)");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + e.what());
  }
}

}  // namespace strata::frontend
