#include "storeapi/call_logging.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "base/go_format.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "base/ulid.h"

namespace strata::storeapi {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* CodeName(int code) {
  static const char* kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code <= 16 ? kNames[code] : "Unknown";
}

const char* MethodType(grpc::experimental::ServerRpcInfo::Type t) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (t) {
    case T::UNARY:
      return "unary";
    case T::SERVER_STREAMING:
      return "server_stream";
    case T::CLIENT_STREAMING:
      return "client_stream";
    default:
      return "bidi_stream";
  }
}

// One call: logs "started call" at its first message and "finished call" with its status.
class CallLogger : public grpc::experimental::Interceptor {
 public:
  CallLogger(grpc::experimental::ServerRpcInfo* info,
             std::shared_ptr<const server::RequestLogging> config, const std::string& component)
      : info_(info),
        config_(std::move(config)),
        component_(component),
        start_ms_(NowMs()),
        start_(std::chrono::steady_clock::now()),
        request_id_(Ulid::New(start_ms_).String()) {
    const std::string m = info->method();  // "/thanos.Store/Series"
    const size_t slash = m.find('/', 1);
    service_ = slash == std::string::npos ? m : m.substr(1, slash - 1);
    method_ = slash == std::string::npos ? "" : m.substr(slash + 1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* b) override {
    if (!started_ && (b->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) ||
                      b->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE))) {
      started_ = true;
      if (config_->grpc.decision == server::LogDecision::kStartAndFinish &&
          config_->LogsGrpc(info_->method(), 0)) {
        Log("started call", 0, "");
      }
    }
    if (b->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status st = b->GetSendStatus();
      const int code = static_cast<int>(st.error_code());
      if (config_->LogsGrpc(info_->method(), code)) Log("finished call", code, st.error_message());
    }
    b->Proceed();
  }

 private:
  void Log(const char* msg, int code, const std::string& error) {
    // As go-grpc-middleware: the codes of server faults at error level, the rest at debug.
    const bool is_error = code == 2 || code == 12 || code == 13 || code == 15;
    std::string peer = info_->server_context()->peer();  // "ipv4:127.0.0.1:5555"
    if (size_t colon = peer.find(':'); peer.starts_with("ipv") && colon != std::string::npos)
      peer = peer.substr(colon + 1);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
            .count();
    const auto deadline = info_->server_context()->deadline();
    const bool has_deadline =
        deadline < std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 365);
    const std::string deadline_s =
        has_deadline ? FormatRfc3339Ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           deadline.time_since_epoch())
                                           .count())
                     : "";
    std::vector<std::pair<std::string, std::string>> f = {
        {"service", "gRPC/server"},
        {"component", component_},
        {"protocol", "grpc"},
        {"grpc.component", "server"},
        {"grpc.service", service_},
        {"grpc.method", method_},
        {"grpc.method_type", MethodType(info_->type())},
        {"grpc.start_time", FormatRfc3339Ms(start_ms_)}};
    if (!deadline_s.empty()) f.emplace_back("grpc.request.deadline", deadline_s);
    f.emplace_back("grpc.code", CodeName(code));
    if (!error.empty()) f.emplace_back("grpc.error", error);
    f.emplace_back("peer.address", peer);
    f.emplace_back("grpc.request.request-id", request_id_);
    f.emplace_back("grpc.time_ms", GoFormatFloat(ms));
    log::Log(is_error ? log::Level::kError : log::Level::kDebug, msg, f);
  }

  grpc::experimental::ServerRpcInfo* info_;
  std::shared_ptr<const server::RequestLogging> config_;
  const std::string component_;
  const int64_t start_ms_;
  const std::chrono::steady_clock::time_point start_;
  const std::string request_id_;
  std::string service_, method_;
  bool started_ = false;
};

class CallLoggingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallLoggingFactory(std::shared_ptr<const server::RequestLogging> config, std::string component)
      : config_(std::move(config)), component_(std::move(component)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallLogger(info, config_, component_);
  }

 private:
  std::shared_ptr<const server::RequestLogging> config_;
  const std::string component_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallLogging(
    std::shared_ptr<const server::RequestLogging> config, std::string component) {
  return std::make_unique<CallLoggingFactory>(std::move(config), std::move(component));
}

}  // namespace strata::storeapi
