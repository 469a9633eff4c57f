#include "sidecar/prometheus_client.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "base/timestamp.h"

namespace strata::sidecar {
namespace {

using json = nlohmann::json;

// Prometheus's API accepts times between these (its minTime/maxTime, in seconds).
constexpr int64_t kApiMinSeconds = -62135596801;
constexpr int64_t kApiMaxSeconds = 253402300799;

// Milliseconds as the decimal seconds Prometheus's API parses, clamped to its range.
std::string ApiTime(int64_t ms) {
  int64_t s = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    s -= 1;
    frac += 1000;
  }
  if (s < kApiMinSeconds) return std::to_string(kApiMinSeconds);
  if (s >= kApiMaxSeconds) return std::to_string(kApiMaxSeconds);
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
  return std::to_string(s) + buf;
}

std::string RangeAndMatch(const Matchers& matchers, int64_t mint, int64_t maxt) {
  std::string q = "start=" + ApiTime(mint) + "&end=" + ApiTime(maxt);
  if (!matchers.empty()) q += "&match[]=" + http::UrlEncode(MatchersString(matchers));
  return q;
}

Result<std::vector<std::string>> StringArray(const std::string& data, const std::string& what) {
  json j = json::parse(data, nullptr, false);
  if (!j.is_array()) return Status::Corruption(what + ": expected a JSON array");
  std::vector<std::string> out;
  out.reserve(j.size());
  for (const auto& v : j) {
    if (!v.is_string()) return Status::Corruption(what + ": expected strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

PrometheusClient::PrometheusClient(std::string base_url, int64_t timeout_ms,
                                   http::ClientConfig config, int64_t data_timeout_ms)
    : base_(std::move(base_url)),
      timeout_ms_(timeout_ms),
      data_timeout_ms_(data_timeout_ms),
      http_(std::move(config)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Status PrometheusClient::Ready() {
  STRATA_ASSIGN_OR_RETURN(http::Response r, http_.Get(base_ + "/-/ready", timeout_ms_));
  if (r.status != 200)
    return Status::IOError("Prometheus at " + base_ + " is not ready (HTTP " +
                           std::to_string(r.status) + ")");
  return Status::OK();
}

Result<std::string> PrometheusClient::GetData(const std::string& path_and_query,
                                              int64_t timeout_ms) {
  const std::string url = base_ + path_and_query;
  STRATA_ASSIGN_OR_RETURN(http::Response r, http_.Get(url, timeout_ms));
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::IOError("GET " + url + ": HTTP " + std::to_string(r.status) +
                           ", not a Prometheus API response: " + r.body.substr(0, 200));
  if (r.status != 200 || j.value("status", "") != "success")
    return Status::IOError("GET " + url + ": HTTP " + std::to_string(r.status) + ": " +
                           j.value("errorType", "") + ": " + j.value("error", ""));
  return j["data"].dump();
}

Status PrometheusClient::Reload(int64_t timeout_ms) {
  http::Request req;
  req.method = "POST";
  req.url = base_ + "/-/reload";
  req.timeout_ms = timeout_ms;
  auto r = http_.Do(req);
  if (!r.ok()) return r.status().WithContext("reload request failed");
  if (r->status != 200) {
    return Status::IOError("received non-200 response: HTTP " + std::to_string(r->status) +
                           "; have you set `--web.enable-lifecycle` Prometheus flag?");
  }
  return Status::OK();
}

Result<PrometheusClient::ReloadState> PrometheusClient::LastReload(int64_t timeout_ms) {
  STRATA_ASSIGN_OR_RETURN(std::string data, GetData("/api/v1/status/runtimeinfo", timeout_ms));
  json j = json::parse(data, nullptr, false);
  const char* what = "/api/v1/status/runtimeinfo: ";
  if (!j.is_object() || !j.contains("reloadConfigSuccess") ||
      !j["reloadConfigSuccess"].is_boolean())
    return Status::Corruption(std::string(what) + "no reloadConfigSuccess");
  ReloadState st;
  st.success = j["reloadConfigSuccess"].get<bool>();
  if (!j.contains("lastConfigTime") || !j["lastConfigTime"].is_string())
    return Status::Corruption(std::string(what) + "no lastConfigTime");
  auto t = ParseRfc3339Nanos(j["lastConfigTime"].get<std::string>());
  if (!t.ok()) return t.status().WithContext(std::string(what) + "lastConfigTime");
  st.time_ns = *t;
  return st;
}

Result<Labels> ParseExternalLabels(const std::string& config_yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(config_yaml);
  } catch (const YAML::Exception& e) {
    return Status::Corruption(std::string("Prometheus configuration is not YAML: ") + e.what());
  }
  std::vector<Label> ls;
  const YAML::Node ext = root["global"]["external_labels"];
  if (ext && !ext.IsMap())
    return Status::Corruption("Prometheus configuration: global.external_labels is not a map");
  if (ext) {
    for (const auto& kv : ext)
      ls.push_back(Label{kv.first.as<std::string>(), kv.second.as<std::string>()});
  }
  Labels labels = Labels::FromUnsorted(std::move(ls));
  STRATA_RETURN_IF_ERROR(ValidateLabels(labels));
  return labels;
}

Result<Labels> PrometheusClient::ExternalLabels() {
  STRATA_ASSIGN_OR_RETURN(std::string data, GetData("/api/v1/status/config", timeout_ms_));
  json j = json::parse(data, nullptr, false);
  if (!j.is_object() || !j.contains("yaml") || !j["yaml"].is_string())
    return Status::Corruption("GET " + base_ + "/api/v1/status/config: no yaml in the response");
  return ParseExternalLabels(j["yaml"].get<std::string>());
}

Result<std::map<std::string, std::string>> PrometheusClient::Flags() {
  STRATA_ASSIGN_OR_RETURN(std::string data, GetData("/api/v1/status/flags", timeout_ms_));
  json j = json::parse(data, nullptr, false);
  if (!j.is_object()) return Status::Corruption("/api/v1/status/flags: expected an object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Result<std::string> PrometheusClient::Version() {
  STRATA_ASSIGN_OR_RETURN(std::string data, GetData("/api/v1/status/buildinfo", timeout_ms_));
  json j = json::parse(data, nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j["version"].is_string())
    return Status::Corruption("/api/v1/status/buildinfo: no version");
  return j["version"].get<std::string>();
}

Result<std::vector<std::string>> PrometheusClient::LabelNames(const Matchers& matchers,
                                                              int64_t mint, int64_t maxt) {
  STRATA_ASSIGN_OR_RETURN(
      std::string data,
      GetData("/api/v1/labels?" + RangeAndMatch(matchers, mint, maxt), data_timeout_ms_));
  return StringArray(data, "/api/v1/labels");
}

Result<std::vector<std::string>> PrometheusClient::LabelValues(const std::string& name,
                                                               const Matchers& matchers,
                                                               int64_t mint, int64_t maxt) {
  STRATA_ASSIGN_OR_RETURN(std::string data,
                          GetData("/api/v1/label/" + http::UrlEncode(name) + "/values?" +
                                      RangeAndMatch(matchers, mint, maxt),
                                  data_timeout_ms_));
  return StringArray(data, "/api/v1/label/" + name + "/values");
}

Result<std::vector<Labels>> PrometheusClient::Series(const Matchers& matchers, int64_t mint,
                                                     int64_t maxt) {
  STRATA_ASSIGN_OR_RETURN(
      std::string data,
      GetData("/api/v1/series?" + RangeAndMatch(matchers, mint, maxt), data_timeout_ms_));
  json j = json::parse(data, nullptr, false);
  if (!j.is_array()) return Status::Corruption("/api/v1/series: expected an array");
  std::vector<Labels> out;
  out.reserve(j.size());
  for (const auto& s : j) {
    if (!s.is_object()) return Status::Corruption("/api/v1/series: expected label objects");
    std::vector<Label> ls;
    for (const auto& [k, v] : s.items())
      if (v.is_string()) ls.push_back(Label{k, v.get<std::string>()});
    out.push_back(Labels::FromUnsorted(std::move(ls)));
  }
  return out;
}

Status PrometheusClient::RemoteRead(const Matchers& matchers, int64_t mint, int64_t maxt,
                                    const ChunkedResponseDecoder::SeriesFn& fn) {
  http::Request req;
  req.method = "POST";
  req.url = base_ + "/api/v1/read";
  req.headers = {"Content-Type: application/x-protobuf", "Content-Encoding: snappy",
                 "X-Prometheus-Remote-Read-Version: 0.1.0"};
  req.body = EncodeReadRequest(matchers, mint, maxt);
  req.timeout_ms = data_timeout_ms_;
  req.stream_content_type = "proto=prometheus.ChunkedReadResponse";
  ChunkedResponseDecoder decoder(fn);
  Status decode_status;
  req.on_data = [&](std::string_view piece) {
    decode_status = decoder.Feed(piece);
    return decode_status.ok();
  };
  auto resp = http_.Do(req);
  STRATA_RETURN_IF_ERROR(decode_status);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200)
    return Status::IOError("POST " + req.url + ": HTTP " + std::to_string(resp->status) + ": " +
                           resp->body.substr(0, 500));
  if (resp->content_type.find(req.stream_content_type) == std::string::npos)
    return Status::Unsupported("POST " + req.url + ": Prometheus answered with '" +
                               resp->content_type +
                               "', not streamed chunks; Prometheus 2.13 or newer is required");
  return decoder.Finish();
}

}  // namespace strata::sidecar
