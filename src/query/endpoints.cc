#include "query/endpoints.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "base/log.h"
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

bool IsDnsSpec(const std::string& s) {
  return s.starts_with("dns+") || s.starts_with("dnssrv+") || s.starts_with("dnssrvnoa+");
}

// The addresses a dns+, dnssrv+ or dnssrvnoa+ spec resolves to; nothing when the lookup fails.
std::vector<std::string> LookUp(const std::string& s) {
  std::vector<std::string> out;
  if (s.starts_with("dnssrv+") || s.starts_with("dnssrvnoa+")) {
    // SRV records name host and port; dnssrv+ resolves each host further, dnssrvnoa+ not.
    const bool noa = s.starts_with("dnssrvnoa+");
    auto records = LookupSrv(s.substr(s.find('+') + 1));
    if (!records.ok()) return out;
    for (const auto& r : *records) {
      const std::string port = std::to_string(r.port);
      if (noa) {
        out.push_back(r.target + ":" + port);
        continue;
      }
      for (auto& a : LookupHost(r.target, port)) out.push_back(std::move(a));
    }
    return out;
  }
  const std::string hp = s.substr(4);
  const size_t colon = hp.rfind(':');
  return LookupHost(hp.substr(0, colon), hp.substr(colon + 1));
}

// Whether a series with these external labels could match all matchers.
bool LabelsMayMatch(const Labels& ext, const Matchers& matchers) {
  for (const auto& m : matchers) {
    if (ext.Has(m.name()) && !m.Matches(ext.Get(m.name()))) return false;
  }
  return true;
}

// The prefix gRPC's own DNS resolver takes: an endpoint group's address.
constexpr std::string_view kGroupScheme = "dns:///";

}  // namespace

Status EndpointPolicy::Validate() const {
  for (const auto& a : strict) {
    if (a.find('+') != std::string::npos)
      return Status::InvalidArgument(
          a +
          " is a dynamically specified endpoint i.e. it uses SD and that is not permitted under "
          "strict mode. Use --endpoint for this");
    if (a.find(':') == std::string::npos)
      return Status::InvalidArgument("strict endpoint " + a + ": expected host:port");
  }
  for (const auto* list : {&groups, &strict_groups}) {
    for (const auto& g : *list) {
      if (g.find(':') == std::string::npos || g.find('+') != std::string::npos)
        return Status::InvalidArgument("endpoint group " + g +
                                       ": expected a DNS name with a port (host:port)");
    }
  }
  if (dns_interval.count() <= 0)
    return Status::InvalidArgument("--store.sd-dns-interval must be positive");
  if (unhealthy_timeout.count() <= 0)
    return Status::InvalidArgument("--store.unhealthy-timeout must be positive");
  return Status::OK();
}

Result<std::unique_ptr<EndpointSet>> EndpointSet::Make(std::vector<std::string> specs,
                                                       std::chrono::milliseconds info_timeout,
                                                       std::vector<std::string> sd_files,
                                                       storeapi::ClientTls tls,
                                                       EndpointPolicy policy) {
  STRATA_RETURN_IF_ERROR(tls.Validate());
  STRATA_RETURN_IF_ERROR(policy.Validate());
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
  return std::unique_ptr<EndpointSet>(new EndpointSet(
      std::move(specs), info_timeout, std::move(sd_files), std::move(tls), std::move(policy)));
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
  for (const auto& g : policy_.groups) out.push_back(std::string(kGroupScheme) + g);
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
                              std::vector<std::string>* unresolved) {
  if (!IsDnsSpec(s)) {
    out->push_back(s);
    return;
  }
  // A name is looked up again once --store.sd-dns-interval has passed. A lookup that finds
  // nothing keeps the addresses of the last one that did (Thanos keeps them on errors; a name
  // that resolves to nothing at all is not told apart from a failed lookup here).
  Lookup& last = dns_[s];
  const int64_t now = NowMs();
  if (last.at_ms == 0 || now - last.at_ms >= policy_.dns_interval.count()) {
    last.at_ms = now;
    std::vector<std::string> found = LookUp(s);
    if (!found.empty() || last.addresses.empty()) last.addresses = std::move(found);
  }
  if (last.addresses.empty()) unresolved->push_back(s);
  out->insert(out->end(), last.addresses.begin(), last.addresses.end());
}

void EndpointSet::Refresh() {
  std::lock_guard<std::mutex> refreshing(refresh_mu_);
  std::vector<std::string> unresolved;
  std::vector<std::string> addresses = Resolve(&unresolved);
  // Strict endpoints; an address also given without strictness is not strict, as in Thanos.
  std::set<std::string> strict(policy_.strict.begin(), policy_.strict.end());
  for (const auto& g : policy_.strict_groups) strict.insert(std::string(kGroupScheme) + g);
  for (const auto& a : addresses) strict.erase(a);
  addresses.insert(addresses.end(), strict.begin(), strict.end());
  std::map<std::string, EndpointState> next;
  const int64_t now = NowMs();
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& a : addresses) {
      auto it = endpoints_.find(a);
      if (it != endpoints_.end()) {
        next[a] = it->second;
      } else {
        next[a] = EndpointState{
            .address = a,
            .last_error = "not checked yet",
            .first_seen_ms = now,
            .client = storeapi::StoreClient::Connect(a, kCallTimeout, timeout_, tls_)};
      }
      next[a].strict = strict.contains(a);
    }
  }
  for (auto& [addr, st] : next) {
    const bool was_out = TimedOut(st, now);
    auto info = st.client->Info();
    st.up = info.ok();
    st.last_error = info.ok() ? "" : info.status().message();
    st.last_check_ms = NowMs();
    if (info.ok()) {
      st.info = std::move(*info);
      st.last_up_ms = st.last_check_ms;
    }
    const bool out = TimedOut(st, st.last_check_ms);
    if (out && !was_out) {
      log::Warn(
          "endpoint unhealthy for longer than --store.unhealthy-timeout; not used until "
          "healthy again",
          {{"address", addr}, {"err", st.last_error}});
    } else if (was_out && !out) {
      log::Info("endpoint healthy again", {{"address", addr}});
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    endpoints_ = std::move(next);
    unresolved_ = std::move(unresolved);
  }
  if (policy_.on_refresh) policy_.on_refresh(States());
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

bool EndpointSet::TimedOut(const EndpointState& e, int64_t now_ms) const {
  const int64_t since = std::max(e.first_seen_ms, e.last_up_ms);
  return !e.strict && !e.up && now_ms - since >= policy_.unhealthy_timeout.count();
}

EndpointSelection EndpointSet::Select(int64_t mint, int64_t maxt, const Matchers& matchers) const {
  std::lock_guard<std::mutex> l(mu_);
  EndpointSelection out;
  const int64_t now = NowMs();
  for (const auto& [addr, st] : endpoints_) {
    if (TimedOut(st, now)) continue;
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
  const int64_t now = NowMs();
  for (const auto& [addr, st] : endpoints_)
    if (!TimedOut(st, now)) out.push_back(st);
  return out;
}

}  // namespace strata::query
