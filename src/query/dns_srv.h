// DNS SRV lookups for Thanos's dnssrv+ / dnssrvnoa+ endpoint specs (e.g.
// --endpoint=dnssrv+_grpc._tcp.thanos-store.monitoring.svc). Uses the C library's resolver
// (libresolv) rather than a hand-written DNS client. STRATA_DNS_SERVER=ip:port sends the
// queries to that server instead of /etc/resolv.conf's (for tests and debugging).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace strata::query {

struct SrvRecord {
  std::string target;  // without the trailing dot
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
};

// The SRV answers of a DNS response message; malformed messages are errors, never crashes.
Result<std::vector<SrvRecord>> ParseSrvResponse(const unsigned char* msg, size_t len);

// Queries `name` for SRV records. A name with no records gives an empty list.
Result<std::vector<SrvRecord>> LookupSrv(const std::string& name);

}  // namespace strata::query
