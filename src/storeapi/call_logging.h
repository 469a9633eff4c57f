// gRPC call logging as --request.logging-config asks: a server interceptor that logs each
// call's start and end with Thanos's fields (go-grpc-middleware's logging). gRPC header: only
// for the servers in this library.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "server/request_logging.h"

namespace strata::storeapi {

// `component` is the logging component name (Thanos's "component" field: query, store, ...).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallLogging(
    std::shared_ptr<const server::RequestLogging> config, std::string component);

}  // namespace strata::storeapi
