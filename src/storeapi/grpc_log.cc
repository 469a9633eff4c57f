#include "storeapi/grpc_log.h"

#include <grpc/support/log.h>

#include <mutex>
#include <string>

#include "base/log.h"

namespace strata::storeapi {
namespace {

// gRPC's own messages (TLS handshake failures, for one) in Strata's log format, so that a
// rejected client certificate shows up as a logfmt line with the reason.
void ToStrataLog(gpr_log_func_args* args) {
  const std::string source = std::string(args->file) + ":" + std::to_string(args->line);
  const log::Level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? log::Level::kWarn
                           : args->severity == GPR_LOG_SEVERITY_INFO ? log::Level::kInfo
                                                                     : log::Level::kDebug;
  log::Log(level, args->message, {{"component", "grpc"}, {"source", source}});
}

}  // namespace

void RouteGrpcLogs() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function(ToStrataLog); });
}

}  // namespace strata::storeapi
