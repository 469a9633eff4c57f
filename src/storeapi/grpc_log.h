// Sends gRPC's internal log lines through base/log (idempotent; storeapi-internal).
#pragma once

namespace strata::storeapi {

void RouteGrpcLogs();

}  // namespace strata::storeapi
