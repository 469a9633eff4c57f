// The querier's endpoints (--endpoint / --store): static host:port, dns+host:port resolved to
// every A/AAAA record, or dnssrv+/dnssrvnoa+ names resolved through their SRV records. A background
// loop re-resolves names and calls Info on each endpoint, so the querier knows which are up, their
// time range and external label sets; a query skips endpoints whose known time range or external
// labels cannot match it. Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/matcher.h"
#include "query/proxy.h"
#include "storeapi/client.h"

namespace strata::query {

struct EndpointState {
  std::string address;
  bool strict = false;  // always used, never dropped for being unhealthy
  bool up = false;
  std::string last_error;
  int64_t last_check_ms = 0;  // when Info was last asked (Unix ms); 0 before the first check
  int64_t first_seen_ms = 0;  // when the address was first resolved
  int64_t last_up_ms = 0;     // the last successful Info; 0 before one
  storeapi::SourceInfo info;
  std::shared_ptr<storeapi::StoreClient> client;
};

// Thanos's endpoint flags beyond --endpoint.
struct EndpointPolicy {
  // --endpoint-strict, --store-strict: static host:port endpoints that are always queried, even
  // when their health check fails, and never dropped.
  std::vector<std::string> strict;
  // --endpoint-group(-strict): DNS names (host:port) whose addresses gRPC resolves and balances
  // round-robin: the group is one endpoint, each call going to one of its members.
  std::vector<std::string> groups, strict_groups;
  // --store.sd-dns-interval: how often dns+/dnssrv+ names are resolved again.
  std::chrono::milliseconds dns_interval = std::chrono::seconds(30);
  // --store.unhealthy-timeout: a non-strict endpoint without a successful health check for this
  // long is no longer queried nor listed (it is still checked, and comes back when healthy).
  std::chrono::milliseconds unhealthy_timeout = std::chrono::minutes(5);
  // Called after each refresh with the endpoints listed (for metrics).
  std::function<void(const std::vector<EndpointState>&)> on_refresh;
  Status Validate() const;
};

class EndpointSet {
 public:
  // specs: "host:port", "dns+host:port" (all A/AAAA records), "dnssrv+NAME" (SRV records,
  // each target resolved further) or "dnssrvnoa+NAME" (SRV targets used as they are).
  // sd_files: --store.sd-files patterns, whose targets are specs as above, re-read on Refresh.
  // tls: how every endpoint is dialled (--grpc-client-tls-*); checked here.
  static Result<std::unique_ptr<EndpointSet>> Make(
      std::vector<std::string> specs,
      std::chrono::milliseconds info_timeout = std::chrono::seconds(5),
      std::vector<std::string> sd_files = {}, storeapi::ClientTls tls = {},
      EndpointPolicy policy = {});
  ~EndpointSet();

  // Resolves names and refreshes every endpoint's Info once (also done by Start's loop).
  void Refresh();
  // Refreshes every `interval` in a background thread until destruction.
  void Start(std::chrono::milliseconds interval);

  // The endpoints that may hold data for the range and matchers: clients of those up, and the
  // ones down (with the reason).
  EndpointSelection Select(int64_t mint, int64_t maxt, const Matchers& matchers) const;
  std::vector<EndpointState> States() const;

 private:
  EndpointSet(std::vector<std::string> specs, std::chrono::milliseconds timeout,
              std::vector<std::string> sd_files, storeapi::ClientTls tls, EndpointPolicy policy)
      : specs_(std::move(specs)),
        sd_files_(std::move(sd_files)),
        timeout_(timeout),
        tls_(std::move(tls)),
        policy_(std::move(policy)) {}
  std::vector<std::string> Resolve(std::vector<std::string>* unresolved);
  void ResolveSpec(const std::string& spec, std::vector<std::string>* out,
                   std::vector<std::string>* unresolved);
  // Unhealthy for longer than the policy allows (never for a strict endpoint).
  bool TimedOut(const EndpointState& e, int64_t now_ms) const;

  std::vector<std::string> specs_;
  std::vector<std::string> sd_files_;
  // The last good targets of each sd file pattern, kept while a file is being rewritten/broken.
  std::map<std::string, std::vector<std::string>> sd_targets_;
  std::mutex refresh_mu_;  // one Refresh at a time
  std::chrono::milliseconds timeout_;
  storeapi::ClientTls tls_;
  const EndpointPolicy policy_;
  // The last lookup of each DNS spec: when, and what it gave (kept on a failed lookup).
  struct Lookup {
    int64_t at_ms = 0;
    std::vector<std::string> addresses;
  };
  std::map<std::string, Lookup> dns_;
  mutable std::mutex mu_;
  std::map<std::string, EndpointState> endpoints_;  // by address
  std::vector<std::string> unresolved_;             // dns specs that resolved to nothing
  std::thread loop_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

}  // namespace strata::query
