#include "query/endpoints.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "base/timestamp.h"
#include "query/dns_srv.h"
#include "query/file_sd.h"

namespace strata::query {
namespace {

// Upper bound of a data call to an endpoint; queries end theirs at their own deadline sooner.
// (The Info timeout alone used to bound every call, failing data calls after 5 s.)
constexpr std::chrono::milliseconds kCallTimeout = std::chrono::minutes(2);

// host:port of every address `host` resolves to.
std::vector<std::string> LookupHost(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::vector<std::string> out;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return out;
  std::set<std::string> seen;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, buf, sizeof(buf));
      seen.insert(std::string(buf) + ":" + port);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, buf,
                sizeof(buf));
      seen.insert("[" + std::string(buf) + "]:" + port);
    }
  }
  freeaddrinfo(res);
  return {seen.begin(), seen.end()};
}

// Whether a series with these external labels could match all matchers.
bool LabelsMayMatch(const Labels& ext, const Matchers& matchers) {
  for (const auto& m : matchers) {
    if (ext.Has(m.name()) && !m.Matches(ext.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<EndpointSet>> EndpointSet::Make(std::vector<std::string> specs,
                                                       std::chrono::milliseconds info_timeout,
                                                       std::vector<std::string> sd_files,
                                                       storeapi::ClientTls tls) {
  STRATA_RETURN_IF_ERROR(tls.Validate());
  for (const auto& s : specs) {
    if (s.starts_with("dnssrv+") || s.starts_with("dnssrvnoa+")) {
      if (s.substr(s.find('+') + 1).empty())
        return Status::InvalidArgument("endpoint " + s + ": expected a DNS name after the +");
      continue;
    }
    const std::string hp = s.starts_with("dns+") ? s.substr(4) : s;
    if (hp.rfind(':') == std::string::npos)
      return Status::InvalidArgument("endpoint " + s + ": expected host:port");
  }
  return std::unique_ptr<EndpointSet>(
      new EndpointSet(std::move(specs), info_timeout, std::move(sd_files), std::move(tls)));
}

EndpointSet::~EndpointSet() {
  {
    std::lock_guard<std::mutex> l(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

std::vector<std::string> EndpointSet::Resolve(std::vector<std::string>* unresolved) {
  std::vector<std::string> out;
  for (const auto& s : specs_) ResolveSpec(s, &out, unresolved);
  for (const auto& pattern : sd_files_) {
    auto targets = ReadFileSd(pattern);
    if (targets.ok()) {
      sd_targets_[pattern] = std::move(*targets);
    } else {
      unresolved->push_back(targets.status().message());
    }
    for (const auto& t : sd_targets_[pattern]) ResolveSpec(t, &out, unresolved);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void EndpointSet::ResolveSpec(const std::string& s, std::vector<std::string>* out,
                              std::vector<std::string>* unresolved) const {
  if (s.starts_with("dnssrv+") || s.starts_with("dnssrvnoa+")) {
    // SRV records name host and port; dnssrv+ resolves each host further, dnssrvnoa+ not.
    const bool noa = s.starts_with("dnssrvnoa+");
    auto records = LookupSrv(s.substr(s.find('+') + 1));
    if (!records.ok() || records->empty()) unresolved->push_back(s);
    if (!records.ok()) return;
    for (const auto& r : *records) {
      const std::string port = std::to_string(r.port);
      if (noa) {
        out->push_back(r.target + ":" + port);
        continue;
      }
      for (auto& a : LookupHost(r.target, port)) out->push_back(std::move(a));
    }
    return;
  }
  if (!s.starts_with("dns+")) {
    out->push_back(s);
    return;
  }
  const std::string hp = s.substr(4);
  const size_t colon = hp.rfind(':');
  auto found = LookupHost(hp.substr(0, colon), hp.substr(colon + 1));
  if (found.empty()) unresolved->push_back(s);
  for (auto& a : found) out->push_back(std::move(a));
}

void EndpointSet::Refresh() {
  std::lock_guard<std::mutex> refreshing(refresh_mu_);
  std::vector<std::string> unresolved;
  const std::vector<std::string> addresses = Resolve(&unresolved);
  std::map<std::string, EndpointState> next;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& a : addresses) {
      auto it = endpoints_.find(a);
      if (it != endpoints_.end()) {
        next[a] = it->second;
      } else {
        next[a] = EndpointState{
            a, false, "not checked yet",
            0, {},    storeapi::StoreClient::Connect(a, kCallTimeout, timeout_, tls_)};
      }
    }
  }
  for (auto& [addr, st] : next) {
    auto info = st.client->Info();
    st.up = info.ok();
    st.last_error = info.ok() ? "" : info.status().message();
    st.last_check_ms = NowMs();
    if (info.ok()) st.info = std::move(*info);
  }
  std::lock_guard<std::mutex> l(mu_);
  endpoints_ = std::move(next);
  unresolved_ = std::move(unresolved);
}

void EndpointSet::Start(std::chrono::milliseconds interval) {
  loop_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> l(stop_mu_);
    while (!stop_cv_.wait_for(l, interval, [this] { return stop_; })) {
      l.unlock();
      Refresh();
      l.lock();
    }
  });
}

EndpointSelection EndpointSet::Select(int64_t mint, int64_t maxt, const Matchers& matchers) const {
  std::lock_guard<std::mutex> l(mu_);
  EndpointSelection out;
  for (const auto& [addr, st] : endpoints_) {
    // Endpoints are skipped only on what their last Info said; one that is down (or not checked
    // yet) is still asked, so it recovers at once and a failure is reported with its reason.
    if (st.up) {
      if (st.info.max_time < mint || st.info.min_time > maxt) continue;
      bool any = st.info.label_sets.empty();
      for (const auto& ls : st.info.label_sets) any = any || LabelsMayMatch(ls, matchers);
      if (!any) continue;
    }
    out.clients.push_back(st.client);
  }
  for (const auto& spec : unresolved_) out.unavailable.push_back(spec + ": no addresses resolved");
  return out;
}

std::vector<EndpointState> EndpointSet::States() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<EndpointState> out;
  for (const auto& [addr, st] : endpoints_) out.push_back(st);
  return out;
}

}  // namespace strata::query
