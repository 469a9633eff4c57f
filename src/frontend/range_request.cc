#include "frontend/range_request.h"

#include <algorithm>

#include "base/timestamp.h"
#include "frontend/shard.h"
#include "frontend/util.h"
#include "promql/json.h"
#include "promql/parser.h"

namespace strata::frontend {
namespace {

// Seconds as Prometheus's API takes them: "1700000000", "1700000000.5", "15", "0.25".

// Thanos's index of a max_source_resolution among its resolutions (1h, 5m, raw).
int ResolutionIndex(const RangeRequest& r) {
  int64_t res = 0;
  const std::string p = r.Param("max_source_resolution");
  if (p == "auto") {
    res = r.step_ms / 5;
  } else if (!p.empty()) {
    auto d = ParseApiDuration(p);
    if (d.ok()) res = *d;
  }
  int idx = 0;
  for (int64_t level : {3600000, 300000, 0}) idx += level > res ? 1 : 0;
  return idx;
}

}  // namespace

bool RangeRequest::Has(std::string_view name) const {
  return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
}

std::string RangeRequest::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return "";
}

RangeRequest RangeRequest::WithRange(int64_t start, int64_t end) const {
  RangeRequest r = *this;
  r.start_ms = start;
  r.end_ms = end;
  return r;
}

Result<RangeRequest> ParseRangeRequest(const server::HttpRequest& req,
                                       const promql::ParseOptions& parse) {
  auto opt = [&](const char* name) -> std::optional<std::string> {
    if (!req.HasParam(name)) return std::nullopt;
    return req.Param(name);
  };
  STRATA_ASSIGN_OR_RETURN(RangeParams range,
                          ParseRangeParams(opt("start"), opt("end"), opt("step")));
  RangeRequest r;
  r.start_ms = range.start_ms;
  r.end_ms = range.end_ms;
  r.step_ms = range.step_ms;
  STRATA_ASSIGN_OR_RETURN(promql::ExprPtr expr, promql::ParseExpr(req.Param("query"), parse));
  // Each split part is evaluated with its own start and end: @ start()/end() must keep meaning
  // the whole range's.
  promql::ForEachTimeModifier(*expr, [&](promql::AtModifier& at, int64_t) {
    if (at.kind == promql::AtModifier::Kind::kStart)
      at = {promql::AtModifier::Kind::kTimestamp, r.start_ms};
    if (at.kind == promql::AtModifier::Kind::kEnd)
      at = {promql::AtModifier::Kind::kTimestamp, r.end_ms};
  });
  r.query = expr->String();
  for (const auto& [k, v] : req.params) {
    if (k != "query" && k != "start" && k != "end" && k != "step") r.params.emplace_back(k, v);
  }
  return r;
}

std::string EncodeRangeRequest(const RangeRequest& r) {
  std::vector<std::pair<std::string, std::string>> params = {{"query", r.query},
                                                             {"start", Seconds(r.start_ms)},
                                                             {"end", Seconds(r.end_ms)},
                                                             {"step", Seconds(r.step_ms)}};
  params.insert(params.end(), r.params.begin(), r.params.end());
  if (r.shard.enabled()) params.emplace_back("shard_info", ShardInfoJson(r.shard));
  return EncodeParams(params);
}

void AlignToStep(RangeRequest* r) {
  // Go's integer division truncates toward zero; so does C++'s.
  r->start_ms = r->start_ms / r->step_ms * r->step_ms;
  r->end_ms = r->end_ms / r->step_ms * r->step_ms;
}

namespace {

// The last step of t's grid before the interval boundary after t.
int64_t NextIntervalBoundary(int64_t t, int64_t step, int64_t interval) {
  const int64_t next = (t / interval + 1) * interval;
  int64_t target = next - ((next - t) % step);
  if (target == next) target -= step;
  return target;
}

}  // namespace

int64_t CappedSplitInterval(int64_t start_ms, int64_t end_ms, int64_t interval_ms) {
  if (interval_ms <= 0 || (end_ms - start_ms) / interval_ms > kMaxSplitParts) return 0;
  return interval_ms;
}

std::vector<RangeRequest> SplitByInterval(const RangeRequest& r, int64_t interval_ms) {
  interval_ms = CappedSplitInterval(r.start_ms, r.end_ms, interval_ms);
  if (interval_ms == 0 || r.start_ms == r.end_ms) return {r};
  std::vector<RangeRequest> out;
  for (int64_t s = r.start_ms; s < r.end_ms;
       s = NextIntervalBoundary(s, r.step_ms, interval_ms) + r.step_ms) {
    int64_t e = NextIntervalBoundary(s, r.step_ms, interval_ms);
    if (e + r.step_ms >= r.end_ms) e = r.end_ms;
    out.push_back(r.WithRange(s, e));
  }
  return out;
}

int64_t SplitPolicy::IntervalFor(const RangeRequest& r) const {
  if (interval_ms > 0 || min_ms <= 0) return interval_ms;
  const int64_t range = r.end_ms - r.start_ms;
  if (range / max_ms >= 2) return max_ms;
  if (range > min_ms) return range / shards;
  return min_ms;
}

bool QueryCacheable(const RangeRequest& r, int64_t max_cache_time_ms) {
  if (r.query.find('@') == std::string::npos && r.query.find("offset") == std::string::npos)
    return true;
  // ParseRangeRequest has parsed it already, with or without the x-functions as configured.
  promql::ParseOptions parse;
  parse.enable_x_functions = true;
  auto expr = promql::ParseExpr(r.query, parse);
  if (!expr.ok()) return false;
  bool ok = true;
  promql::ForEachTimeModifier(**expr, [&](promql::AtModifier& at, int64_t offset_ms) {
    if (offset_ms < 0) ok = false;
    int64_t t = at.timestamp_ms;
    if (at.kind == promql::AtModifier::Kind::kStart) t = r.start_ms;
    if (at.kind == promql::AtModifier::Kind::kEnd) t = r.end_ms;
    if (at.kind != promql::AtModifier::Kind::kNone && (t > r.end_ms || t > max_cache_time_ms))
      ok = false;
  });
  return ok;
}

std::string CacheKey(const RangeRequest& r, std::string_view tenant, int64_t interval_ms) {
  std::string key = "fe:";
  key += tenant;
  key += ":" + r.query + ":" + std::to_string(r.step_ms) + ":" +
         std::to_string(interval_ms > 0 ? r.start_ms / interval_ms : 0) + ":" +
         std::to_string(ResolutionIndex(r)) + ":" +
         (r.shard.enabled() ? std::to_string(r.shard.total) + ":" + std::to_string(r.shard.index)
                            : "-") +
         ":";
  int64_t lookback = 0;
  if (r.Has("lookback_delta")) {
    auto d = ParseApiDuration(r.Param("lookback_delta"));
    if (d.ok()) lookback = *d;
  }
  key += std::to_string(lookback) + ":" + r.Param("engine");
  for (const auto& [k, v] : r.params) {
    if (k == "replicaLabels[]") key += ":" + v;
  }
  return key;
}

}  // namespace strata::frontend
