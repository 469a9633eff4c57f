// gRPC credentials from ServerTls/ClientTls (storeapi-internal: includes gRPC headers).
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "storeapi/tls.h"

namespace strata::storeapi {

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const ServerTls& tls);
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const ClientTls& tls);

}  // namespace strata::storeapi
