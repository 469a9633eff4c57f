// The querier's endpoints (--endpoint / --store): static host:port, dns+host:port resolved to
// every A/AAAA record, or dnssrv+/dnssrvnoa+ names resolved through their SRV records. A background
// loop re-resolves names and calls Info on each endpoint, so the querier knows which are up, their
// time range and external label sets; a query skips endpoints whose known time range or external
// labels cannot match it. Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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
  bool up = false;
  std::string last_error;
  int64_t last_check_ms = 0;  // when Info was last asked (Unix ms); 0 before the first check
  storeapi::SourceInfo info;
  std::shared_ptr<storeapi::StoreClient> client;
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
      std::vector<std::string> sd_files = {}, storeapi::ClientTls tls = {});
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
              std::vector<std::string> sd_files, storeapi::ClientTls tls)
      : specs_(std::move(specs)),
        sd_files_(std::move(sd_files)),
        timeout_(timeout),
        tls_(std::move(tls)) {}
  std::vector<std::string> Resolve(std::vector<std::string>* unresolved);
  void ResolveSpec(const std::string& spec, std::vector<std::string>* out,
                   std::vector<std::string>* unresolved) const;

  std::vector<std::string> specs_;
  std::vector<std::string> sd_files_;
  // The last good targets of each sd file pattern, kept while a file is being rewritten/broken.
  std::map<std::string, std::vector<std::string>> sd_targets_;
  std::mutex refresh_mu_;  // one Refresh at a time
  std::chrono::milliseconds timeout_;
  storeapi::ClientTls tls_;
  mutable std::mutex mu_;
  std::map<std::string, EndpointState> endpoints_;  // by address
  std::vector<std::string> unresolved_;             // dns specs that resolved to nothing
  std::thread loop_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

}  // namespace strata::query
