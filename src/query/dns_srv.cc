#include "query/dns_srv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <cstdlib>
#include <cstring>

namespace strata::query {

Result<std::vector<SrvRecord>> ParseSrvResponse(const unsigned char* msg, size_t len) {
  ns_msg handle;
  if (ns_initparse(msg, static_cast<int>(len), &handle) != 0)
    return Status::Corruption("malformed DNS response (" + std::to_string(len) + " bytes)");
  std::vector<SrvRecord> out;
  const int n = ns_msg_count(handle, ns_s_an);
  for (int i = 0; i < n; i++) {
    ns_rr rr;
    if (ns_parserr(&handle, ns_s_an, i, &rr) != 0)
      return Status::Corruption("malformed DNS answer record " + std::to_string(i));
    if (ns_rr_type(rr) != ns_t_srv) continue;  // e.g. CNAMEs on the way
    const unsigned char* rd = ns_rr_rdata(rr);
    if (ns_rr_rdlen(rr) < 7)
      return Status::Corruption("SRV record " + std::to_string(i) + " too short");
    SrvRecord r;
    r.priority = ns_get16(rd);
    r.weight = ns_get16(rd + 2);
    r.port = ns_get16(rd + 4);
    char target[NS_MAXDNAME];
    if (dn_expand(ns_msg_base(handle), ns_msg_end(handle), rd + 6, target, sizeof target) < 0)
      return Status::Corruption("SRV record " + std::to_string(i) + ": malformed target name");
    r.target = target;
    while (!r.target.empty() && r.target.back() == '.') r.target.pop_back();
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<SrvRecord>> LookupSrv(const std::string& name) {
  struct __res_state state;
  std::memset(&state, 0, sizeof state);
  if (res_ninit(&state) != 0) return Status::IOError("cannot initialise the DNS resolver");
  struct Closer {
    res_state s;
    ~Closer() { res_nclose(s); }
  } closer{&state};
  if (const char* server = std::getenv("STRATA_DNS_SERVER"); server != nullptr && *server) {
    std::string s(server);
    const size_t colon = s.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(
        static_cast<uint16_t>(colon == std::string::npos ? 53 : std::atoi(s.c_str() + colon + 1)));
    if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &addr.sin_addr) != 1)
      return Status::InvalidArgument("STRATA_DNS_SERVER: expected ipv4:port, got " + s);
    state.nsaddr_list[0] = addr;
    state.nscount = 1;
  }
  unsigned char answer[65536];
  const int len = res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer, sizeof answer);
  if (len < 0) {
    // NXDOMAIN or no data: nothing to discover (yet); anything else is a lookup failure.
    if (state.res_h_errno == HOST_NOT_FOUND || state.res_h_errno == NO_DATA)
      return std::vector<SrvRecord>{};
    return Status::IOError("DNS SRV lookup of " + name +
                           " failed: " + hstrerror(state.res_h_errno));
  }
  return ParseSrvResponse(answer, static_cast<size_t>(len));
}

}  // namespace strata::query
