#include "query/api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "base/go_format.h"
#include "base/timestamp.h"
#include "promql/json.h"

namespace strata::query {
namespace {

using server::HttpRequest;
using server::HttpResponse;

HttpResponse ErrorResponse(int code, const char* type, const std::string& msg) {
  std::string body = "{\"status\":\"error\",\"errorType\":\"";
  body += type;
  body += "\",\"error\":";
  promql::AppendJsonString(&body, msg);
  body += "}";
  // As Thanos's querier: a query-frontend must not cache an error.
  return {code, "application/json", std::move(body), {{"Cache-Control", "no-store"}}};
}

HttpResponse BadData(const std::string& msg) { return ErrorResponse(400, "bad_data", msg); }

// When the process started (static initialization), for /api/v1/status/runtimeinfo.
const int64_t kProcessStartMs = NowMs();

// The "Threads:" line of /proc/self/status.
int ThreadCount() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Threads:")) return std::atoi(line.c_str() + 8);
  }
  return 0;
}

// Thanos's shard_info parameter (from a query-frontend's vertical sharding), Go's JSON of
// storepb.ShardInfo: {"shard_index":1,"total_shards":3,"by":true,"labels":["pod"]}; "" when
// not sharded.
Result<ShardInfo> ParseShardInfo(const std::string& text) {
  ShardInfo s;
  if (text.empty()) return s;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&] { return Status::InvalidArgument("cannot parse parameter shard_info: " + text); };
  if (doc.is_discarded() || !doc.is_object()) return bad();
  try {
    s.index = doc.value("shard_index", int64_t{0});
    s.total = doc.value("total_shards", int64_t{0});
    s.by = doc.value("by", false);
    s.labels = doc.value("labels", std::vector<std::string>{});
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  if (s.total < 0 || s.index < 0 || (s.total > 0 && s.index >= s.total)) return bad();
  return s;
}

// Maps an evaluation failure to Prometheus's error type and HTTP status.
HttpResponse EvalError(const Status& st) {
  switch (st.code()) {
    case StatusCode::kDeadlineExceeded:
      return ErrorResponse(503, "timeout", st.message());
    case StatusCode::kCancelled:
      return ErrorResponse(499, "canceled", st.message());
    case StatusCode::kIOError:
    case StatusCode::kInternal:
    case StatusCode::kCorruption:
      return ErrorResponse(500, "internal", st.message());
    default:
      return ErrorResponse(422, "execution", st.message());
  }
}

constexpr std::string_view kSuccessPrefix = "{\"status\":\"success\",\"data\":";

// Completes a success answer whose body so far is kSuccessPrefix and the data.
HttpResponse Finish(std::string body, const std::vector<std::string>& warnings) {
  // Warnings other than PromQL's annotations mean a partial or degraded answer, which a
  // query-frontend must not cache (Thanos's querier says so the same way).
  const bool degraded = std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
    return !w.starts_with("PromQL info") && !w.starts_with("PromQL warning");
  });
  if (!warnings.empty()) {
    body += ",\"warnings\":[";
    for (size_t i = 0; i < warnings.size(); i++) {
      if (i > 0) body += ",";
      promql::AppendJsonString(&body, warnings[i]);
    }
    body += "]";
  }
  body += "}";
  HttpResponse r{200, "application/json", std::move(body), {}};
  if (degraded) r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse Success(const std::string& data, const std::vector<std::string>& warnings) {
  return Finish(std::string(kSuccessPrefix) + data, warnings);
}

std::string StringArray(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) {
    if (i > 0) s += ",";
    promql::AppendJsonString(&s, v[i]);
  }
  return s + "]";
}

// Thanos's query telemetry (--query.telemetry.*): how long queries take, by how many series
// and samples they read, and the time spans range queries ask for.
class QueryTelemetry {
 public:
  QueryTelemetry(const ApiOptions& o, Registry& reg)
      : series_q_(o.telemetry_series_quantiles), samples_q_(o.telemetry_samples_quantiles) {
    duration_ =
        &reg.AddHistogram("thanos_store_api_query_duration_seconds",
                          "Duration of the Thanos Store API select phase for a query.",
                          {"series_le", "samples_le", "tenant"}, o.telemetry_duration_quantiles);
    std::vector<double> spans;
    for (double b = 900; spans.size() < 12; b *= 2) spans.push_back(b);
    timespan_ = &reg.AddHistogram("thanos_query_range_requested_timespan_duration_seconds",
                                  "A histogram of the query range window in seconds", {}, spans)
                     .WithLabelValues({});
  }
  // A query that read nothing is not observed, as in Thanos.
  void Observe(const promql::QueryResult& r, double seconds, const std::string& tenant) {
    if (r.series_read == 0 || r.samples_read == 0) return;
    duration_
        ->WithLabelValues({Bucket(static_cast<double>(r.series_read), series_q_),
                           Bucket(static_cast<double>(r.samples_read), samples_q_), tenant})
        .Observe(seconds);
  }
  void ObserveRange(int64_t start_ms, int64_t end_ms) {
    timespan_->Observe(static_cast<double>(end_ms - start_ms) / 1000);
  }

 private:
  // The smallest quantile >= v, or +Inf past the last.
  static std::string Bucket(double v, const std::vector<double>& q) {
    auto it = std::lower_bound(q.begin(), q.end(), v);
    return it == q.end() || v >= q.back() ? "+Inf" : GoFormatFloatF(*it);
  }
  const std::vector<double> series_q_, samples_q_;
  Family<Histogram>* duration_;
  Histogram* timespan_;
};

// Bounds concurrent queries (--query.max-concurrent); others wait their turn. Exposes Thanos's
// gate metrics when a registry is given.
class Gate {
 public:
  Gate(int n, Registry* reg) : max_(n), free_(n) {
    if (reg == nullptr) return;
    wait_ = &reg->AddHistogram("thanos_query_gate_duration_seconds",
                               "How many seconds it took for queries to wait at the gate.", {},
                               DefaultDurationBuckets())
                 .WithLabelValues({});
    in_flight_ = &reg->AddGauge("thanos_query_gate_queries_in_flight",
                                "Number of queries that are currently in flight.")
                      .WithLabelValues({});
    reg->AddGauge("thanos_query_gate_queries_max", "Maximum number of concurrent queries.")
        .WithLabelValues({})
        .Set(n);
  }
  void Enter() {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return free_ > 0; });
    free_--;
    if (wait_ != nullptr)
      wait_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (in_flight_ != nullptr) in_flight_->Set(max_ - free_);
  }
  void Leave() {
    {
      std::lock_guard<std::mutex> l(mu_);
      free_++;
      if (in_flight_ != nullptr) in_flight_->Set(max_ - free_);
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int max_;
  int free_;
  Histogram* wait_ = nullptr;
  Gauge* in_flight_ = nullptr;
};

class Api {
 public:
  Api(ApiOptions opts, EndpointProvider endpoints)
      : opts_(std::move(opts)),
        endpoints_(std::move(endpoints)),
        gate_(opts_.max_concurrent, opts_.metrics) {
    if (opts_.metrics != nullptr)
      telemetry_ = std::make_unique<QueryTelemetry>(opts_, *opts_.metrics);
  }

  // A proxy for one request, honouring its dedup / partial_response / replicaLabels[] params.
  std::shared_ptr<ProxyQuerier> Proxy(const HttpRequest& req, const std::string& tenant,
                                      int64_t max_resolution = 0, ShardInfo shard = {}) {
    ProxyOptions p = opts_.proxy;
    p.tenant = tenant;
    p.max_resolution_ms = max_resolution;
    p.shard = std::move(shard);
    if (req.HasParam("dedup")) p.dedup = req.Param("dedup") != "false";
    if (req.HasParam("partial_response"))
      p.partial_response = req.Param("partial_response") != "false";
    auto rl = req.Params("replicaLabels[]");
    if (!rl.empty()) p.replica_labels = rl;
    return std::make_shared<ProxyQuerier>(endpoints_, p);
  }

  Result<int64_t> TimeParam(const HttpRequest& req, const std::string& name, int64_t def) {
    if (!req.HasParam(name) || req.Param(name).empty()) return def;
    auto t = ParseApiTime(req.Param(name));
    if (!t.ok())
      return Status::InvalidArgument("invalid parameter \"" + name + "\": " + t.status().message());
    return *t;
  }

  // Thanos's max_source_resolution: a duration, "auto" (step/5 for range queries), or absent
  // (auto with --query.auto-downsampling, else raw data only).
  Result<int64_t> MaxSourceResolution(const HttpRequest& req, bool range, int64_t step) {
    const std::string v = req.Param("max_source_resolution");
    int64_t res = 0;
    if (opts_.auto_downsampling || v == "auto")
      res = range ? step / 5 : opts_.instant_max_source_resolution_ms;
    if (!v.empty() && v != "auto") {
      auto d = ParseApiDuration(v);
      if (!d.ok())
        return Status::InvalidArgument("invalid parameter \"max_source_resolution\": " +
                                       d.status().message());
      res = *d;
    }
    if (res < 0)
      return Status::InvalidArgument(
          "negative 'max_source_resolution' is not accepted. Try a positive integer");
    return res;
  }

  // Thanos's dynamic lookback delta: data of 1h resolution has a point per hour, so a 5m
  // lookback would leave most steps empty.
  int64_t LookbackFor(int64_t max_resolution) const {
    const int64_t base = opts_.engine.lookback_delta_ms;
    if (!opts_.dynamic_lookback_delta) return base;
    constexpr int64_t k5m = 5 * 60 * 1000, k1h = 60 * 60 * 1000;
    if (max_resolution > std::max(base, k5m)) return std::max(base, k1h);
    if (max_resolution > base) return std::max(base, k5m);
    return base;
  }

  promql::Engine EngineFor(const HttpRequest& req, int64_t max_resolution, Status* st) {
    promql::EngineOptions e = opts_.engine;
    e.lookback_delta_ms = LookbackFor(max_resolution);
    if (req.HasParam("timeout")) {
      auto d = ParseApiDuration(req.Param("timeout"));
      if (!d.ok()) {
        *st = Status::InvalidArgument("invalid parameter \"timeout\": " + d.status().message());
      } else if (*d < e.timeout.count()) {
        e.timeout = std::chrono::milliseconds(*d);
      }
    }
    return promql::Engine(e);
  }

  HttpResponse Query(const HttpRequest& req, bool range) {
    // Thanos's engine parameter picks its PromQL engine; Strata has one, used for both.
    std::string engine_name = req.Param("engine");
    if (engine_name.empty()) engine_name = opts_.default_engine;
    if (engine_name != "prometheus" && engine_name != "thanos")
      return BadData("engine type is invalid");
    const std::string q = req.Param("query");
    promql::ParseOptions parse = opts_.engine.parse;
    parse.enable_x_functions = opts_.enable_x_functions && engine_name == "thanos";
    auto expr = promql::ParseExpr(q, parse);
    if (!expr.ok()) return BadData(expr.status().message());
    auto tenant = ResolveTenant(opts_.tenancy, req);
    if (!tenant.ok()) return BadData(tenant.status().message());
    if (opts_.tenancy.enforce) EnforceTenant(**expr, opts_.tenancy.label, *tenant);
    int64_t start = 0, end = 0, step = 0;
    if (range) {
      auto opt = [&](const char* name) -> std::optional<std::string> {
        if (!req.HasParam(name)) return std::nullopt;
        return req.Param(name);
      };
      auto r = ParseRangeParams(opt("start"), opt("end"), opt("step"));
      if (!r.ok()) return BadData(r.status().message());
      start = r->start_ms;
      end = r->end_ms;
      step = r->step_ms;
    } else {
      auto t = TimeParam(req, "time", NowMs());
      if (!t.ok()) return BadData(t.status().message());
      start = end = *t;
    }
    auto max_res = MaxSourceResolution(req, range, step);
    if (!max_res.ok()) return BadData(max_res.status().message());
    Status st;
    promql::Engine engine = EngineFor(req, *max_res, &st);
    if (!st.ok()) return BadData(st.message());
    auto shard = ParseShardInfo(req.Param("shard_info"));
    if (!shard.ok()) return BadData(shard.status().message());
    auto proxy = Proxy(req, *tenant, *max_res, std::move(*shard));
    gate_.Enter();
    const int slot = opts_.active_queries ? opts_.active_queries->Insert(q, NowMs() / 1000) : -1;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = engine.Exec(*proxy, std::move(*expr), start, end, step, !range);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (opts_.active_queries) opts_.active_queries->Remove(slot);
    gate_.Leave();
    if (!r.ok()) return EvalError(r.status());
    if (telemetry_) {
      telemetry_->Observe(*r, seconds, *tenant);
      if (range) telemetry_->ObserveRange(start, end);
    }
    auto warnings = proxy->TakeWarnings();
    warnings.insert(warnings.end(), r->warnings.begin(), r->warnings.end());
    std::string body(kSuccessPrefix);
    promql::AppendResultData(&body, *r);  // in place: answers run to megabytes
    return Finish(std::move(body), warnings);
  }

  // match[] selectors (narrowed to the tenant with --query.enforce-tenancy), or an error.
  Result<std::vector<Matchers>> Selectors(const HttpRequest& req, bool required,
                                          const std::string& tenant) {
    std::vector<Matchers> out;
    for (const auto& m : req.Params("match[]")) {
      auto ms = promql::ParseMetricSelector(m);
      if (!ms.ok()) return Status::InvalidArgument(ms.status().message());
      out.push_back(std::move(*ms));
    }
    if (required && out.empty()) return Status::InvalidArgument("no match[] parameter provided");
    if (opts_.tenancy.enforce) {
      if (out.empty()) out.emplace_back();
      for (auto& ms : out) EnforceTenant(ms, opts_.tenancy.label, tenant);
    }
    return out;
  }

  HttpResponse Series(const HttpRequest& req) {
    auto tenant = ResolveTenant(opts_.tenancy, req);
    if (!tenant.ok()) return BadData(tenant.status().message());
    auto sels = Selectors(req, true, *tenant);
    if (!sels.ok()) return BadData(sels.status().message());
    auto [start, end] = MetadataRange(req);
    if (!start.ok() || !end.ok()) return BadData((start.ok() ? end : start).status().message());
    auto proxy = Proxy(req, *tenant);
    std::vector<Labels> all;
    for (const auto& ms : *sels) {
      auto set = proxy->Select({*start, *end, 0, 0, "series"}, ms);
      while (set->Next()) all.push_back(set->At()->labels());
      if (!set->status().ok()) return EvalError(set->status());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    std::string data = "[";
    for (size_t i = 0; i < all.size(); i++) {
      if (i > 0) data += ",";
      promql::AppendJsonLabels(&data, all[i]);
    }
    return Success(data + "]", proxy->TakeWarnings());
  }

  HttpResponse LabelsOrValues(const HttpRequest& req, const std::string* name) {
    auto tenant = ResolveTenant(opts_.tenancy, req);
    if (!tenant.ok()) return BadData(tenant.status().message());
    auto sels = Selectors(req, false, *tenant);
    if (!sels.ok()) return BadData(sels.status().message());
    auto [start, end] = MetadataRange(req);
    if (!start.ok() || !end.ok()) return BadData((start.ok() ? end : start).status().message());
    if (name != nullptr && !IsValidLabelName(*name))
      return BadData("invalid label name: \"" + *name + "\"");
    auto proxy = Proxy(req, *tenant);
    std::set<std::string> result;
    if (sels->empty()) sels->push_back({});
    for (const auto& ms : *sels) {
      auto r = name == nullptr ? proxy->LabelNames(ms, *start, *end)
                               : proxy->LabelValues(*name, ms, *start, *end);
      if (!r.ok()) return EvalError(r.status());
      result.insert(r->begin(), r->end());
    }
    return Success(StringArray({result.begin(), result.end()}), proxy->TakeWarnings());
  }

  // The series and label APIs' start and end, defaulting as --query.metadata.default-time-range
  // says.
  std::pair<Result<int64_t>, Result<int64_t>> MetadataRange(const HttpRequest& req) {
    int64_t from = kMinTime / 2, to = kMaxTime / 2;
    if (opts_.metadata_default_range_ms > 0) {
      to = NowMs();
      from = to - opts_.metadata_default_range_ms;
    }
    return {TimeParam(req, "start", from), TimeParam(req, "end", to)};
  }

  ApiOptions opts_;
  EndpointProvider endpoints_;
  Gate gate_;
  std::unique_ptr<QueryTelemetry> telemetry_;
};

}  // namespace

void RegisterApi(server::Router& router, ApiOptions opts, EndpointProvider endpoints) {
  auto api = std::make_shared<Api>(std::move(opts), std::move(endpoints));
  router.Handle("/api/v1/query", [api](const HttpRequest& r) { return api->Query(r, false); });
  router.Handle("/api/v1/query_range", [api](const HttpRequest& r) { return api->Query(r, true); });
  router.Handle("/api/v1/series", [api](const HttpRequest& r) { return api->Series(r); });
  router.Handle("/api/v1/labels",
                [api](const HttpRequest& r) { return api->LabelsOrValues(r, nullptr); });
  router.HandlePrefix("/api/v1/label/", [api](const HttpRequest& r) {
    const std::string prefix = "/api/v1/label/", suffix = "/values";
    if (!r.path.ends_with(suffix) || r.path.size() <= prefix.size() + suffix.size()) {
      return HttpResponse{404, "text/plain; charset=utf-8", "404 page not found\n", {}};
    }
    const std::string name =
        r.path.substr(prefix.size(), r.path.size() - prefix.size() - suffix.size());
    return api->LabelsOrValues(r, &name);
  });
  router.Handle("/api/v1/format_query", [api](const HttpRequest& r) {
    auto e = promql::ParseExpr(r.Param("query"), api->opts_.engine.parse);
    if (!e.ok()) return BadData(e.status().message());
    std::string data;
    promql::AppendJsonString(&data, (*e)->String());
    return Success(data, {});
  });
  router.Handle("/api/v1/status/buildinfo", [api](const HttpRequest&) {
    std::string data = "{\"version\":";
    promql::AppendJsonString(&data, api->opts_.version);
    data += ",\"revision\":";
    promql::AppendJsonString(&data, api->opts_.revision);
    data += ",\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":\"\"}";
    return Success(data, {});
  });
  router.Handle("/api/v1/status/runtimeinfo", [](const HttpRequest&) {
    // Prometheus's fields. Strata has no goroutines or Go GC: goroutineCount is the process's
    // thread count and GOMAXPROCS the CPUs it may use.
    std::string data = "{\"startTime\":";
    promql::AppendJsonString(&data, FormatRfc3339Ms(kProcessStartMs));
    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    data += ",\"CWD\":";
    promql::AppendJsonString(&data, cwd);
    data += ",\"reloadConfigSuccess\":true,\"lastConfigTime\":";
    promql::AppendJsonString(&data, FormatRfc3339Ms(kProcessStartMs));
    data += ",\"corruptionCount\":0,\"goroutineCount\":" + std::to_string(ThreadCount()) +
            ",\"GOMAXPROCS\":" + std::to_string(std::thread::hardware_concurrency()) +
            ",\"GOGC\":\"\",\"GODEBUG\":\"\",\"storageRetention\":\"\"}";
    return Success(data, {});
  });
  router.Handle("/api/v1/metadata", [](const HttpRequest&) { return Success("{}", {}); });
  router.Handle("/api/v1/status/flags", [api](const HttpRequest&) {
    // A repeated flag is one key, its values joined by commas, as kingpin prints them.
    std::vector<std::pair<std::string, std::string>> flags;
    for (const auto& flag : api->opts_.flags) {
      auto it = std::find_if(flags.begin(), flags.end(),
                             [&](const auto& f) { return f.first == flag.first; });
      if (it == flags.end()) {
        flags.push_back(flag);
      } else {
        it->second += "," + flag.second;
      }
    }
    std::string data = "{";
    for (const auto& [name, value] : flags) {
      if (data.size() > 1) data += ",";
      promql::AppendJsonString(&data, name);
      data += ":";
      promql::AppendJsonString(&data, value);
    }
    return Success(data + "}", {});
  });
  // The Rules, Targets and Exemplars APIs of the endpoints are not proxied yet: these answer as
  // Thanos's querier does with no such endpoint behind it, so Grafana's views load.
  auto one_of = [](const std::string& v, std::initializer_list<const char*> allowed) {
    if (v.empty()) return true;
    std::string upper = v;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return upper == a; });
  };
  router.Handle("/api/v1/rules", [one_of](const HttpRequest& r) {
    const std::string type = r.Param("type");
    if (!one_of(type, {"ALL", "ALERT", "RECORD"}))
      return BadData("invalid rules parameter type='" + type + "'");
    return Success("{\"groups\":[]}", {});
  });
  router.Handle("/api/v1/alerts",
                [](const HttpRequest&) { return Success("{\"alerts\":[]}", {}); });
  router.Handle("/api/v1/targets", [one_of](const HttpRequest& r) {
    const std::string state = r.Param("state");
    if (!one_of(state, {"ANY", "ACTIVE", "DROPPED"}))
      return BadData("invalid targets parameter state='" + state + "'");
    return Success("{\"activeTargets\":[],\"droppedTargets\":[]}", {});
  });
  router.Handle("/api/v1/query_exemplars", [](const HttpRequest&) { return Success("[]", {}); });
  // Thanos's querier has no configuration file to show; Grafana asks anyway.
  router.Handle("/api/v1/status/config",
                [](const HttpRequest&) { return Success("{\"yaml\":\"\"}", {}); });
  if (Registry* reg = api->opts_.metrics; reg != nullptr) {
    router.Handle("/metrics", [reg](const HttpRequest&) {
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", reg->Expose(), {}};
    });
  }
}

}  // namespace strata::query
