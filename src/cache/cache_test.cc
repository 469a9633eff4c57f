#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cache/in_memory.h"
#include "cache/memcached.h"
#include "cache/memcached_process.h"

namespace strata::cache {
namespace {

using Values = std::vector<std::optional<std::string>>;

double Metric(const Registry& r, const std::string& series) {
  const std::string text = r.Expose();
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(InMemoryCacheTest, EvictsOldestInsertionBeyondItemBound) {
  Registry r;
  auto c = NewInMemory({.max_size_items = 2}, "test", &r);
  c->Store("a", "1", 0);
  c->Store("b", "2", 0);
  c->Fetch({"a"});  // a FIFO: reading does not keep an entry
  c->Store("c", "3", 0);
  EXPECT_EQ(c->Fetch({"a", "b", "c"}), (Values{std::nullopt, "2", "3"}));
  EXPECT_EQ(Metric(r, "querier_cache_evicted_total{cache=\"test\"}"), 1);
  EXPECT_EQ(Metric(r, "querier_cache_entries{cache=\"test\"}"), 2);
  EXPECT_EQ(Metric(r, "querier_cache_misses_total{cache=\"test\"}"), 1);
  EXPECT_EQ(Metric(r, "querier_cache_gets_total{cache=\"test\"}"), 4);
}

TEST(InMemoryCacheTest, BoundsBytesAndRefusesItemsLargerThanTheCache) {
  Registry r;
  auto c = NewInMemory({.max_size_bytes = 400}, "bytes", &r);
  c->Store("big", std::string(1000, 'x'), 0);
  EXPECT_EQ(c->Fetch({"big"}), (Values{std::nullopt}));
  for (int i = 0; i < 20; i++) c->Store("k" + std::to_string(i), std::string(50, 'v'), 0);
  EXPECT_LE(Metric(r, "querier_cache_memory_bytes{cache=\"bytes\"}"), 400);
  EXPECT_EQ(c->Fetch({"k19"}), (Values{std::string(50, 'v')}));
  EXPECT_EQ(c->Fetch({"k0"}), (Values{std::nullopt}));
}

TEST(InMemoryCacheTest, ReplacesAKeyAndExpiresByValidityAndTtl) {
  Registry r;
  auto c = NewInMemory({.max_size_items = 10, .validity_ms = 60'000}, "ttl", &r);
  c->Store("a", "old", 0);
  c->Store("a", "new", 0);
  c->Store("short", "v", 30);
  EXPECT_EQ(c->Fetch({"a", "short"}), (Values{"new", "v"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(c->Fetch({"a", "short"}), (Values{"new", std::nullopt}));
  EXPECT_EQ(Metric(r, "querier_cache_added_new_total{cache=\"ttl\"}"), 2);
  EXPECT_EQ(Metric(r, "querier_cache_stale_gets_total{cache=\"ttl\"}"), 1);
}

TEST(InMemoryCacheTest, WithoutBoundsKeepsNothing) {
  Registry r;
  auto c = NewInMemory({}, "off", &r);
  c->Store("a", "1", 0);
  EXPECT_EQ(c->Fetch({"a"}), (Values{std::nullopt}));
}

TEST(MemcachedConfigTest, ParsesThanosKeysAndNamesBadOnes) {
  auto ok = ParseMemcachedConfig(
      "addresses: [a:11211, b:1]\ntimeout: 2s\nmax_item_size: 2MiB\nmax_async_concurrency: 3\n",
      "cfg");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->addresses, (std::vector<std::string>{"a:11211", "b:1"}));
  EXPECT_EQ(ok->timeout_ms, 2000);
  EXPECT_EQ(ok->max_item_size, 2u << 20);
  EXPECT_EQ(ParseMemcachedConfig("addresses: [a:1]\nbogus: 1\n", "cfg").status().message(),
            "cfg: unknown field \"bogus\"");
  EXPECT_EQ(ParseMemcachedConfig("timeout: 1s\n", "cfg").status().message(),
            "cfg: addresses is required");
  EXPECT_NE(ParseMemcachedConfig("addresses: [a:1]\ntimeout: soon\n", "cfg")
                .status()
                .message()
                .find("cfg: timeout"),
            std::string::npos);
  EXPECT_FALSE(ParseMemcachedConfig("addresses: [a:1]\nmax_idle_connections: many\n", "cfg").ok());
  EXPECT_FALSE(ParseMemcachedConfig("addresses: [\n", "cfg").ok());
  EXPECT_EQ(ParseMemcachedConfig("addresses: [a:1]\nexpiration: 1h\n", "cfg", {"expiration"})
                .status()
                .code(),
            StatusCode::kOk);
}

TEST(MemcachedCacheTest, RejectsAddressesThatAreNotHostPort) {
  Registry r;
  MemcachedConfig cfg;
  cfg.addresses = {"host:notaport"};
  EXPECT_EQ(NewMemcached(cfg, &r).status().message(),
            "memcached: address \"host:notaport\" is not host:port");
}

// Against a real memcached: asynchronous sets become visible, TTLs expire, and a memcached
// that dies turns into misses.
TEST(MemcachedCacheTest, StoresFetchesExpiresAndSurvivesADownServer) {
  if (!MemcachedProcess::Installed()) GTEST_SKIP() << "memcached is not installed";
  MemcachedProcess server;
  std::string err;
  ASSERT_TRUE(server.Start(&err)) << err;
  Registry r;
  MemcachedConfig cfg;
  cfg.addresses = {server.address()};
  cfg.timeout_ms = 300;
  auto c = NewMemcached(cfg, &r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  (*c)->Store("key", "value", 0);
  (*c)->Store("brief", "v", 1000);
  Values got;
  for (int i = 0; i < 50; i++) {
    got = (*c)->Fetch({"key", "brief", "absent"});
    if (got[0] && got[1]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(got, (Values{"value", "v", std::nullopt}));
  // memcached's clock has one-second ticks: a 1s TTL is gone within ~2s.
  for (int i = 0; i < 40 && (*c)->Fetch({"brief"})[0]; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ((*c)->Fetch({"brief"}), (Values{std::nullopt}));
  server.Kill();
  EXPECT_EQ((*c)->Fetch({"key"}), (Values{std::nullopt}));
  double failures = 0;
  for (const char* reason : {"server-error", "timeout"}) {
    failures += std::max(0.0, Metric(r, std::string("thanos_memcached_operation_failures_total{"
                                                    "operation=\"getmulti\",reason=\"") +
                                            reason + "\"}"));
  }
  EXPECT_GT(failures, 0);
}

}  // namespace
}  // namespace strata::cache
