#include "server/request_logging.h"

#include <yaml-cpp/yaml.h>

namespace strata::server {
namespace {

Status Invalid(const std::string& m) { return Status::InvalidArgument(m); }

// Refuses keys outside `allowed`, as Thanos's strict YAML decoding does.
Status OnlyKeys(const YAML::Node& n, std::initializer_list<const char*> allowed,
                const std::string& where) {
  if (!n) return Status::OK();
  if (!n.IsMap()) return Invalid(where + ": expected a mapping");
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    bool ok = false;
    for (const char* a : allowed) ok |= k == a;
    if (!ok) return Invalid(where + ": field " + k + " not found");
  }
  return Status::OK();
}

struct RawOptions {
  std::string level;
  bool start = false, end = false;
  bool Empty() const { return level.empty() && !start && !end; }
};

Result<RawOptions> ReadOptions(const YAML::Node& n, const std::string& where) {
  RawOptions o;
  if (!n || n.IsNull()) return o;
  STRATA_RETURN_IF_ERROR(OnlyKeys(n, {"level", "decision"}, where));
  if (n["level"]) o.level = n["level"].as<std::string>();
  const YAML::Node d = n["decision"];
  STRATA_RETURN_IF_ERROR(OnlyKeys(d, {"log_start", "log_end"}, where + ".decision"));
  if (d && d["log_start"]) o.start = d["log_start"].as<bool>();
  if (d && d["log_end"]) o.end = d["log_end"].as<bool>();
  return o;
}

// Thanos's resolution: the protocol's options replace the global ones whole when set.
Result<RequestLogOptions> Resolve(const RawOptions& global, const RawOptions& proto) {
  RawOptions o{"ERROR", false, false};
  if (!global.Empty()) o = global;
  if (!proto.Empty()) o = proto;
  if (o.level.empty()) return Invalid("level field is empty");
  if (o.level != "INFO" && o.level != "DEBUG" && o.level != "ERROR" && o.level != "WARNING") {
    return Invalid("the format of level is invalid. Expected INFO/DEBUG/ERROR/WARNING, got this " +
                   o.level);
  }
  if (o.start && !o.end) return Invalid("log start call is not supported");
  RequestLogOptions r;
  r.level = o.level;
  r.decision =
      o.start ? LogDecision::kStartAndFinish : (o.end ? LogDecision::kFinish : LogDecision::kNone);
  return r;
}

}  // namespace

bool RequestLogging::LogsHttp(std::string_view path, int port, bool error) const {
  if (http.decision == LogDecision::kNone) return false;
  if (!http_allow.empty() && http_allow.count(std::string(path) + ":" + std::to_string(port)) == 0)
    return false;
  // Finished calls log at debug, or error for 5xx: DEBUG shows both, the others errors only.
  return error || http.level == "DEBUG";
}

bool RequestLogging::LogsGrpc(std::string_view full_method, int code) const {
  if (grpc.decision == LogDecision::kNone) return false;
  if (!grpc_allow.empty() && grpc_allow.count(std::string(full_method)) == 0) return false;
  // gRPC's codes by the level go-grpc-middleware gives them: info, warning or error.
  enum { kInfo, kWarning, kError } cls;
  switch (code) {
    case 0:
    case 5:
    case 1:
    case 6:
    case 3:
    case 16:        // OK NotFound Canceled AlreadyExists
      cls = kInfo;  // InvalidArgument Unauthenticated
      break;
    case 4:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 14:
      cls = kWarning;
      break;
    default:  // Unknown Unimplemented Internal DataLoss
      cls = kError;
  }
  if (grpc.level == "ERROR") return cls == kError;
  if (grpc.level == "WARNING") return cls != kInfo;
  return true;  // INFO and DEBUG
}

Result<std::shared_ptr<const RequestLogging>> ParseRequestLogging(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Invalid(std::string("invalid YAML: ") + e.what());
  }
  if (!root || root.IsNull()) return std::shared_ptr<const RequestLogging>();
  auto out = std::make_shared<RequestLogging>();
  try {
    STRATA_RETURN_IF_ERROR(OnlyKeys(root, {"options", "http", "grpc"}, "request logging"));
    STRATA_ASSIGN_OR_RETURN(RawOptions global, ReadOptions(root["options"], "options"));
    const YAML::Node http = root["http"], grpc = root["grpc"];
    STRATA_RETURN_IF_ERROR(OnlyKeys(http, {"options", "config"}, "http"));
    STRATA_RETURN_IF_ERROR(OnlyKeys(grpc, {"options", "config"}, "grpc"));
    STRATA_ASSIGN_OR_RETURN(RawOptions h,
                            ReadOptions(http ? http["options"] : YAML::Node(), "http.options"));
    STRATA_ASSIGN_OR_RETURN(RawOptions g,
                            ReadOptions(grpc ? grpc["options"] : YAML::Node(), "grpc.options"));
    STRATA_ASSIGN_OR_RETURN(out->http, Resolve(global, h));
    STRATA_ASSIGN_OR_RETURN(out->grpc, Resolve(global, g));
    if (http && http["config"]) {
      for (const auto& c : http["config"]) {
        STRATA_RETURN_IF_ERROR(OnlyKeys(c, {"path", "port"}, "http.config"));
        out->http_allow.insert(c["path"].as<std::string>("") + ":" +
                               std::to_string(c["port"].as<uint64_t>(0)));
      }
    }
    if (grpc && grpc["config"]) {
      for (const auto& c : grpc["config"]) {
        STRATA_RETURN_IF_ERROR(OnlyKeys(c, {"service", "method"}, "grpc.config"));
        out->grpc_allow.insert("/" + c["service"].as<std::string>("") + "/" +
                               c["method"].as<std::string>(""));
      }
    }
  } catch (const YAML::Exception& e) {
    return Invalid(std::string("invalid request logging configuration: ") + e.what());
  }
  if (out->http.decision == LogDecision::kNone && out->grpc.decision == LogDecision::kNone)
    return std::shared_ptr<const RequestLogging>();
  return std::shared_ptr<const RequestLogging>(std::move(out));
}

}  // namespace strata::server
