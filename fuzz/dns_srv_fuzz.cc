// libFuzzer target: DNS SRV responses as the querier's dnssrv+ discovery receives them.
#include <cstddef>
#include <cstdint>

#include "query/dns_srv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)strata::query::ParseSrvResponse(data, size);
  return 0;
}
