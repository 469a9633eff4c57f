// Sends arbitrary StoreAPI requests (the input parsed as a Series, LabelNames or LabelValues
// request, chosen by its first byte) over real gRPC to an in-process store server, and reads
// the answers whole: what is fuzzed is the server's request handling (matchers, ranges, hints,
// aggregates, limits); bad ones get an error status, never a crash.
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

#include "store/storepb/rpc.grpc.pb.h"
#include "storeapi/server.h"

namespace {

std::unique_ptr<thanos::Store::Stub> Connect() {
  using namespace strata;
  static std::unique_ptr<storeapi::StoreServer> server = [] {
    storeapi::ServerOptions opts;
    opts.address = "127.0.0.1:0";
    return std::move(*storeapi::StoreServer::Start(opts, storeapi::NewBlocksSource({})));
  }();
  return thanos::Store::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                                    grpc::InsecureChannelCredentials()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<thanos::Store::Stub> stub = Connect();
  if (size == 0) return 0;
  const void* body = data + 1;
  const int n = static_cast<int>(size - 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  switch (data[0] % 3) {
    case 0: {
      thanos::SeriesRequest req;
      if (!req.ParseFromArray(body, n)) return 0;
      auto reader = stub->Series(&ctx, req);
      thanos::SeriesResponse resp;
      while (reader->Read(&resp)) {
      }
      reader->Finish().ok();
      break;
    }
    case 1: {
      thanos::LabelNamesRequest req;
      if (!req.ParseFromArray(body, n)) return 0;
      thanos::LabelNamesResponse resp;
      stub->LabelNames(&ctx, req, &resp).ok();
      break;
    }
    default: {
      thanos::LabelValuesRequest req;
      if (!req.ParseFromArray(body, n)) return 0;
      thanos::LabelValuesResponse resp;
      stub->LabelValues(&ctx, req, &resp).ok();
      break;
    }
  }
  return 0;
}
