#include "frontend/frontend.h"

#include <algorithm>
#include <chrono>

#include "base/executor.h"
#include "base/go_format.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "frontend/downstream.h"
#include "frontend/instant.h"
#include "frontend/labels.h"
#include "frontend/matrix.h"
#include "frontend/range_request.h"
#include "frontend/results_cache.h"
#include "frontend/shard.h"
#include "frontend/util.h"
#include "promql/json.h"
#include "promql/parser.h"

namespace strata::frontend {
namespace {

using server::HttpRequest;
using server::HttpResponse;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The answers of a query's parts (split ranges or shards) as one; the first failure if any.
Result<Answer> MergeAnswers(std::vector<Result<Answer>> parts) {
  Answer out;
  std::vector<Matrix> ms;
  for (auto& a : parts) {
    if (!a.ok()) return a.status();
    out.no_store |= a->no_store;
    ms.push_back(std::move(a->matrix));
  }
  out.matrix = Merge(std::move(ms));
  return out;
}

class Frontend : public std::enable_shared_from_this<Frontend> {
 public:
  explicit Frontend(FrontendOptions opts)
      : opts_(std::move(opts)),
        parse_{.enable_x_functions = opts_.enable_x_functions},
        downstream_(opts_.downstream_url, opts_.downstream_tls, opts_.downstream_timeout_ms,
                    opts_.metrics) {
    Registry& m = *opts_.metrics;
    queries_ = &m.AddCounter("thanos_query_frontend_queries_total",
                             "Total queries passing through query frontend", {"op"});
    for (const char* op : {"query", "query_range", "label_names", "label_values", "series"})
      queries_->WithLabelValues({op});
    split_ = &m.AddCounter("thanos_frontend_split_queries_total",
                           "Total number of underlying query requests after the split by interval "
                           "is applied",
                           {"tripperware"});
    downsampled_extra_ =
        &m.AddCounter("thanos_frontend_downsampled_extra_queries_total",
                      "Total number of additional queries for downsampled data", {"tripperware"})
             .WithLabelValues({"query_range"});
    if (opts_.vertical_shards > 1) {
      shardable_ = &m.AddCounter("thanos_frontend_sharding_middleware_queries_total",
                                 "Total queries passing through the sharding middleware",
                                 {"shardable", "tripperware"});
    }
    duration_ = &m.AddHistogram("cortex_frontend_query_range_duration_seconds",
                                "Total time spent in seconds doing query range requests.",
                                {"method", "status_code", "tripperware"}, DefaultDurationBuckets());
    if (opts_.results_cache) {
      cache_ =
          std::make_unique<ResultsCache>(std::move(opts_.results_cache),
                                         ResultsCacheOptions{opts_.max_freshness_ms, opts_.split,
                                                             opts_.snappy, opts_.cache_ttl_ms},
                                         Bounded(opts_.max_query_parallelism));
    }
    LabelsOptions lo;
    lo.split_interval_ms = opts_.labels_split_interval_ms;
    lo.max_retries = opts_.labels_max_retries;
    lo.partial_response = opts_.labels_partial_response;
    lo.default_time_range_ms = opts_.labels_default_time_range_ms;
    lo.max_freshness_ms = opts_.labels_max_freshness_ms;
    lo.snappy = opts_.snappy;
    labels_ = std::make_unique<LabelsHandler>(lo, std::move(opts_.labels_cache), &downstream_,
                                              Bounded(opts_.labels_max_query_parallelism), split_);
  }

  void Register(server::Router& router) {
    // The handlers keep the frontend alive as long as the router lives.
    auto self = shared_from_this();
    router.Handle("/api/v1/query_range", [this, self](const HttpRequest& req) {
      return Timed(req, "query_range", [&](CallContext& ctx) { return QueryRange(req, ctx); });
    });
    router.Handle("/api/v1/labels", [this, self](const HttpRequest& req) {
      return Timed(req, "label_names",
                   [&](CallContext& ctx) { return labels_->Labels(req, "", ctx); });
    });
    router.Handle("/api/v1/series", [this, self](const HttpRequest& req) {
      return Timed(req, "series", [&](CallContext& ctx) { return labels_->Series(req, ctx); });
    });
    router.HandlePrefix("/api/v1/label/", [this, self](const HttpRequest& req) {
      constexpr std::string_view kPrefix = "/api/v1/label/", kSuffix = "/values";
      std::string_view p = req.path;
      if (!p.ends_with(kSuffix) || p.size() <= kPrefix.size() + kSuffix.size())
        return downstream_.PassThrough(req);
      const std::string name(p.substr(kPrefix.size(), p.size() - kPrefix.size() - kSuffix.size()));
      return Timed(req, "label_values",
                   [&](CallContext& ctx) { return labels_->Labels(req, name, ctx); });
    });
    // Instant queries are not split or cached (as in Thanos without vertical sharding).
    router.Handle("/api/v1/query", [this, self](const HttpRequest& req) {
      return Timed(req, "query", [&](CallContext& ctx) { return InstantQuery(req, ctx); });
    });
    router.HandlePrefix(
        "/", [this, self](const HttpRequest& req) { return downstream_.PassThrough(req); });
  }

 private:
  static Fanout Bounded(int parallelism) {
    return [parallelism](size_t n, const std::function<void(size_t)>& fn) {
      Executor::Shared().ParallelFor(n, static_cast<size_t>(std::max(1, parallelism)), fn);
    };
  }

  // Counts the request, gives it its context (forwarded headers, tenant) and logs it when slow.
  HttpResponse Timed(const HttpRequest& req, const char* op,
                     const std::function<HttpResponse(CallContext&)>& handle) {
    queries_->WithLabelValues({op}).Inc();
    const auto t0 = std::chrono::steady_clock::now();
    CallContext ctx;
    std::string tenant_value;
    for (const auto& [name, value] : req.headers) {
      for (const auto& f : opts_.forward_headers) {
        if (Lower(f) == name) ctx.headers.push_back(f + ": " + value);
      }
      if (name == Lower(opts_.tenant_header)) tenant_value = value;
    }
    ctx.tenant = "anonymous";
    for (const auto& h : opts_.org_id_headers) {
      auto it = req.headers.find(Lower(h));
      if (it != req.headers.end() && !it->second.empty()) {
        ctx.tenant = it->second;
        break;
      }
    }
    if (ctx.tenant == "anonymous" && !tenant_value.empty()) ctx.tenant = tenant_value;
    ctx.headers.push_back(opts_.tenant_header + ": " +
                          (tenant_value.empty() ? opts_.default_tenant : tenant_value));
    auto cc = req.headers.find("cache-control");
    ctx.no_store_requested =
        cc != req.headers.end() && cc->second.find("no-store") != std::string::npos;
    HttpResponse resp = handle(ctx);
    const int64_t took_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    const int64_t slow = opts_.log_queries_longer_than_ms;
    if (slow != 0 && took_ms > slow) LogSlow(req, ctx, took_ms);
    return resp;
  }

  void LogSlow(const HttpRequest& req, const CallContext& ctx, int64_t took_ms) {
    auto header = [&](const char* name) {
      auto it = req.headers.find(name);
      return it == req.headers.end() || it->second.empty() ? std::string("-") : it->second;
    };
    std::vector<std::pair<std::string, std::string>> fields = {
        {"org_id", ctx.tenant},
        {"method", req.method},
        {"host", header("host")},
        {"path", req.path},
        {"remote_addr", req.remote_address},
        {"time_taken", GoFormatDuration(took_ms)},
        {"grafana_dashboard_uid", header("x-dashboard-uid")},
        {"grafana_panel_id", header("x-panel-id")}};
    for (const auto& param : req.params) {
      const std::string name = "param_" + param.first;
      auto it = std::find_if(fields.begin(), fields.end(),
                             [&](const auto& f) { return f.first == name; });
      if (it == fields.end()) {
        fields.emplace_back(name, param.second);
      } else {
        it->second += "," + param.second;
      }
    }
    log::Log(log::Level::kInfo, "slow query detected", fields);
  }

  HttpResponse QueryRange(const HttpRequest& req, CallContext& ctx) {
    const auto t0 = std::chrono::steady_clock::now();
    auto parsed = ParseRangeRequest(req, parse_);
    if (!parsed.ok()) return BadData(parsed.status().message());
    RangeRequest r = std::move(*parsed);
    const int64_t length = r.end_ms - r.start_ms;
    if (opts_.max_query_length_ms > 0 && length > opts_.max_query_length_ms) {
      return BadData(
          "the query time range exceeds the limit (query length: " + GoFormatDuration(length) +
          ", limit: " + GoFormatDuration(opts_.max_query_length_ms) + ")");
    }
    if (!r.Has("partial_response"))
      r.params.emplace_back("partial_response", opts_.partial_response ? "true" : "false");
    if (opts_.align_range_with_step) AlignToStep(&r);

    const bool bypass_cache =
        ctx.no_store_requested || r.Param("dedup") == "false" || r.Has("storeMatch[]");
    // One split part: the cache where there is one, then the querier.
    std::optional<ShardInfo> shard_by;
    if (opts_.vertical_shards > 1) {
      auto expr = promql::ParseExpr(r.query, parse_);  // parsed as ParseRangeRequest printed it
      shard_by = Shardable(expr.ok() ? expr->get() : nullptr, "query_range");
    }
    QueryFn next = [&](const RangeRequest& q) { return Query(q, ctx); };
    // One split part of one shard: the cache where there is one, then the querier.
    auto shard_part = [&](const RangeRequest& p) -> Result<Answer> {
      if (!cache_) return next(p);
      return cache_->Get(p, ctx.tenant, bypass_cache, next);
    };
    // One split part: its shards' answers merged (--query-frontend.vertical-shards).
    auto part = [&](const RangeRequest& p) -> Result<Answer> {
      if (!shard_by) return shard_part(p);
      std::vector<Result<Answer>> shards(static_cast<size_t>(opts_.vertical_shards),
                                         Status::Internal("not run"));
      Bounded(opts_.max_query_parallelism)(shards.size(), [&](size_t i) {
        RangeRequest s = p;
        s.shard = *shard_by;
        s.shard.index = static_cast<int64_t>(i);
        s.shard.total = opts_.vertical_shards;
        shards[i] = shard_part(s);
      });
      return MergeAnswers(std::move(shards));
    };
    // The whole range, split.
    auto split = [&](const RangeRequest& whole) -> Result<Answer> {
      std::vector<RangeRequest> parts = SplitByInterval(whole, opts_.split.IntervalFor(whole));
      split_->WithLabelValues({"query_range"}).Inc(static_cast<double>(parts.size()));
      if (cache_ && !shard_by) {  // one cache call for all parts
        return MergeAnswers(cache_->GetAll(parts, ctx.tenant, bypass_cache, next));
      }
      std::vector<Result<Answer>> answers(parts.size(), Status::Internal("not run"));
      Bounded(opts_.max_query_parallelism)(parts.size(),
                                           [&](size_t i) { answers[i] = part(parts[i]); });
      return MergeAnswers(std::move(answers));
    };
    Result<Answer> answer = Downsampled(r, split);
    const bool ok = answer.ok();
    duration_->WithLabelValues({"step_align", ok ? "200" : "500", "query_range"})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!ok) {
      if (auto f = ctx.failure()) return *f;
      return {500, "text/plain; charset=utf-8", answer.status().message() + "\n", {}};
    }
    HttpResponse resp{200, "application/json", FormatMatrixResponse(answer->matrix), {}};
    if (answer->no_store) resp.headers.emplace_back("Cache-Control", "no-store");
    return resp;
  }

  // The labels to shard expr by, when vertical sharding is on and the query allows it (a query
  // that did not parse, nullptr, is not sharded: the querier will say what is wrong with it).
  std::optional<ShardInfo> Shardable(const promql::Expr* expr, const char* tripperware) {
    const std::optional<ShardInfo> s = expr ? AnalyzeShardable(*expr) : std::nullopt;
    shardable_->WithLabelValues({s ? "true" : "false", tripperware}).Inc();
    return s;
  }

  // Instant queries are passed through, or with vertical sharding asked of every shard and
  // merged (as Thanos: no splitting or caching).
  HttpResponse InstantQuery(const HttpRequest& req, CallContext& ctx) {
    if (opts_.vertical_shards <= 1) return downstream_.PassThrough(req);
    auto expr = promql::ParseExpr(req.Param("query"), parse_);
    const std::optional<ShardInfo> by =
        Shardable(expr.ok() ? expr->get() : nullptr, "query_instant");
    if (!by) return downstream_.PassThrough(req);
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& [k, v] : req.params) {
      if (k != "shard_info") params.emplace_back(k, v);
    }
    std::vector<Result<InstantAnswer>> shards(static_cast<size_t>(opts_.vertical_shards),
                                              Status::Internal("not run"));
    Bounded(opts_.max_query_parallelism)(shards.size(), [&](size_t i) {
      ShardInfo s = *by;
      s.index = static_cast<int64_t>(i);
      s.total = opts_.vertical_shards;
      auto shard_params = params;
      shard_params.emplace_back("shard_info", ShardInfoJson(s));
      auto resp = downstream_.Send("POST", "/api/v1/query", EncodeParams(shard_params), ctx, 1,
                                   "query_instant");
      if (!resp.ok()) {
        shards[i] = resp.status();
        return;
      }
      shards[i] = ParseInstantResponse(resp->body);
    });
    std::vector<InstantAnswer> parts;
    for (auto& s : shards) {
      if (!s.ok()) {
        if (auto f = ctx.failure()) return *f;
        return {500, "text/plain; charset=utf-8", s.status().message() + "\n", {}};
      }
      parts.push_back(std::move(*s));
    }
    return {
        200, "application/json", FormatInstantResponse(MergeInstant(std::move(parts), **expr)), {}};
  }

  // --query-range.request-downsampled: with max_source_resolution=auto, the range the answer
  // leaves empty at its start is asked again of 5m, then 1h data (Thanos's loop).
  Result<Answer> Downsampled(const RangeRequest& r,
                             const std::function<Result<Answer>(const RangeRequest&)>& next) {
    if (!opts_.request_downsampled || r.Param("max_source_resolution") != "auto") return next(r);
    std::vector<Matrix> ms;
    bool no_store = false;
    RangeRequest cur = r;
    for (int64_t res : {int64_t{0}, int64_t{300}, int64_t{3600}}) {
      if (res > 0) {
        const int64_t first = MinTime(ms.back());
        if (first == cur.start_ms) break;
        if (first != -1) cur.end_ms = first - cur.step_ms;
        if (cur.start_ms > cur.end_ms) break;
        for (auto& [k, v] : cur.params) {
          if (k == "max_source_resolution") v = std::to_string(res);
        }
        downsampled_extra_->Inc();
      }
      auto a = next(cur);
      if (!a.ok()) return a.status();
      no_store |= a->no_store;
      ms.push_back(std::move(a->matrix));
    }
    return Answer{Merge(std::move(ms)), no_store};
  }

  // Thanos's minResponseTime: -1 when the first series has no points, else the earliest point.
  static int64_t MinTime(const Matrix& m) {
    if (m.series.empty() || m.series[0].empty()) return -1;
    int64_t t = m.series[0].t(0);
    for (const auto& s : m.series) {
      if (!s.empty()) t = std::min(t, s.t(0));
    }
    return t;
  }

  Result<Answer> Query(const RangeRequest& r, CallContext& ctx) {
    STRATA_ASSIGN_OR_RETURN(http::Response resp,
                            downstream_.Send("POST", "/api/v1/query_range", EncodeRangeRequest(r),
                                             ctx, opts_.max_retries, "query_range"));
    auto m = ParseMatrixResponse(resp.body);
    if (!m.ok()) {
      ctx.Fail({500, "text/plain; charset=utf-8", m.status().message() + "\n", {}});
      return m.status();
    }
    return Answer{std::move(*m), resp.Header("cache-control") == "no-store"};
  }

  FrontendOptions opts_;
  promql::ParseOptions parse_;  // the frontend's own parsing, for splitting and sharding
  Downstream downstream_;
  std::unique_ptr<ResultsCache> cache_;
  std::unique_ptr<LabelsHandler> labels_;
  Family<Counter>* queries_;
  Family<Counter>* split_;
  Counter* downsampled_extra_;
  Family<Histogram>* duration_;
  Family<Counter>* shardable_ = nullptr;
};

}  // namespace

void RegisterFrontend(server::Router& router, FrontendOptions opts) {
  std::make_shared<Frontend>(std::move(opts))->Register(router);
}

}  // namespace strata::frontend
