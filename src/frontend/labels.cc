#include "frontend/labels.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "base/encoding.h"
#include "base/timestamp.h"
#include "frontend/util.h"
#include "promql/json.h"

namespace strata::frontend {
namespace {

using nlohmann::json;
using server::HttpRequest;
using server::HttpResponse;

// One chunk's answer: names/values, or series label sets; warnings; whether it may be cached.
struct Part {
  std::vector<std::string> values;
  std::vector<Labels> series;
  std::vector<std::string> warnings;
  bool no_store = false;
};

Result<Part> ParsePart(const std::string& body, bool series) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status") ||
      doc["status"] != "success" || !doc.contains("data") || !doc["data"].is_array()) {
    return Status::InvalidArgument("the querier's answer is not a successful list");
  }
  Part p;
  for (const auto& d : doc["data"]) {
    if (series) {
      if (!d.is_object()) return Status::InvalidArgument("a series is not a label set");
      std::vector<Label> ls;
      for (const auto& [k, v] : d.items()) {
        if (!v.is_string()) return Status::InvalidArgument("label " + k + " is not a string");
        ls.push_back({k, v.get<std::string>()});
      }
      p.series.push_back(Labels::FromUnsorted(std::move(ls)));
    } else {
      if (!d.is_string()) return Status::InvalidArgument("a label name or value is not a string");
      p.values.push_back(d.get<std::string>());
    }
  }
  if (doc.contains("warnings") && doc["warnings"].is_array()) {
    for (const auto& w : doc["warnings"]) {
      if (w.is_string()) p.warnings.push_back(w.get<std::string>());
    }
  }
  return p;
}

std::string EncodePart(const Part& p) {
  Encoder e;
  e.PutUvarint(p.values.size());
  for (const auto& v : p.values) e.PutUvarintStr(v);
  e.PutUvarint(p.series.size());
  for (const auto& s : p.series) {
    e.PutUvarint(s.size());
    for (const auto& l : s) {
      e.PutUvarintStr(l.name);
      e.PutUvarintStr(l.value);
    }
  }
  return std::move(e.buf());
}

std::optional<Part> DecodePart(std::string_view data) {
  Decoder d(data);
  Part p;
  const uint64_t nv = d.Uvarint();
  for (uint64_t i = 0; i < nv && d.ok(); i++) p.values.emplace_back(d.UvarintStr());
  const uint64_t ns = d.Uvarint();
  for (uint64_t i = 0; i < ns && d.ok(); i++) {
    const uint64_t nl = d.Uvarint();
    if (nl > d.remaining() / 2) return std::nullopt;
    std::vector<Label> ls(nl);
    for (auto& l : ls) {
      l.name = std::string(d.UvarintStr());
      l.value = std::string(d.UvarintStr());
    }
    p.series.push_back(Labels::FromSorted(std::move(ls)));
  }
  if (!d.ok() || d.remaining() != 0) return std::nullopt;
  return p;
}

}  // namespace

LabelsHandler::LabelsHandler(LabelsOptions opts, std::unique_ptr<cache::Cache> cache,
                             Downstream* downstream, Fanout fanout, Family<Counter>* split_queries)
    : opts_(opts),
      cache_(std::move(cache)),
      downstream_(downstream),
      fanout_(std::move(fanout)),
      split_queries_(&split_queries->WithLabelValues({"labels"})) {}

HttpResponse LabelsHandler::Labels(const HttpRequest& req, const std::string& name,
                                   CallContext& ctx) {
  if (name.empty()) return Run(req, "POST", "/api/v1/labels", false, ctx);
  // Prometheus serves label values over GET only.
  return Run(req, "GET", "/api/v1/label/" + http::UrlEncode(name) + "/values", false, ctx);
}

HttpResponse LabelsHandler::Series(const HttpRequest& req, CallContext& ctx) {
  return Run(req, "POST", "/api/v1/series", true, ctx);
}

HttpResponse LabelsHandler::Run(const HttpRequest& req, const std::string& method,
                                const std::string& path, bool series, CallContext& ctx) {
  const int64_t now = NowMs();
  int64_t start = now - opts_.default_time_range_ms, end = now;
  for (auto [param, out] : {std::pair{"start", &start}, std::pair{"end", &end}}) {
    if (req.Param(param).empty()) continue;
    auto t = ParseApiTime(req.Param(param));
    if (!t.ok())
      return BadData(std::string("invalid parameter \"") + param + "\": " + t.status().message());
    *out = *t;
  }
  if (end < start) return BadData("end timestamp must not be before start time");
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [k, v] : req.params) {
    if (k != "start" && k != "end") params.emplace_back(k, v);
  }
  if (!req.HasParam("partial_response"))
    params.emplace_back("partial_response", opts_.partial_response ? "true" : "false");

  std::vector<std::pair<int64_t, int64_t>> chunks;
  const int64_t iv = CappedSplitInterval(start, end, opts_.split_interval_ms);
  for (int64_t s = start; s < end || chunks.empty(); s += iv) {
    chunks.emplace_back(s, iv > 0 ? std::min(end, s + iv) : end);
    if (iv <= 0) break;
  }
  split_queries_->Inc(static_cast<double>(chunks.size()));

  const bool bypass = cache_ == nullptr || ctx.no_store_requested || req.HasParam("storeMatch[]") ||
                      req.Param("dedup") == "false";
  const int64_t max_cache_time = now - opts_.max_freshness_ms;
  std::string key_base = "fe:" + ctx.tenant + ":" + path + ":" + EncodeParams(params);
  std::vector<Result<Part>> parts(chunks.size(), Status::Internal("not run"));
  fanout_(chunks.size(), [&](size_t i) {
    const auto [s, e] = chunks[i];
    const std::string key = key_base + ":" + std::to_string(s) + ":" + std::to_string(e);
    const bool cacheable = !bypass && e <= max_cache_time;
    if (cacheable) {
      auto got = cache_->Fetch({HashKey(key)});
      if (!got.empty() && got[0]) {
        std::string scratch;
        if (auto payload = OpenEntry(key, *got[0], opts_.snappy, &scratch)) {
          if (auto p = DecodePart(*payload)) {
            parts[i] = std::move(*p);
            return;
          }
        }
      }
    }
    auto chunk_params = params;
    chunk_params.emplace_back("start", Seconds(s));
    chunk_params.emplace_back("end", Seconds(e));
    auto resp = downstream_->Send(method, path, EncodeParams(chunk_params), ctx, opts_.max_retries,
                                  "labels");
    if (!resp.ok()) {
      parts[i] = resp.status();
      return;
    }
    auto p = ParsePart(resp->body, series);
    if (p.ok()) {
      p->no_store = resp->Header("cache-control") == "no-store";
      if (cacheable && !p->no_store && p->warnings.empty())
        cache_->Store(HashKey(key), SealEntry(key, EncodePart(*p), opts_.snappy), 0);
    }
    parts[i] = std::move(p);
  });

  std::set<std::string> values;
  std::set<strata::Labels> label_sets;
  std::vector<std::string> warnings;
  bool no_store = false;
  for (auto& p : parts) {
    if (!p.ok()) {
      if (auto f = ctx.failure()) return *f;
      return {500, "text/plain; charset=utf-8", p.status().message() + "\n", {}};
    }
    values.insert(p->values.begin(), p->values.end());
    label_sets.insert(p->series.begin(), p->series.end());
    for (auto& w : p->warnings) {
      if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    }
    no_store |= p->no_store;
  }
  std::string body = "{\"status\":\"success\",\"data\":[";
  bool first = true;
  if (series) {
    for (const auto& ls : label_sets) {
      if (!first) body += ",";
      first = false;
      promql::AppendJsonLabels(&body, ls);
    }
  } else {
    for (const auto& v : values) {
      if (!first) body += ",";
      first = false;
      promql::AppendJsonString(&body, v);
    }
  }
  body += "]";
  AppendWarnings(&body, warnings);
  HttpResponse out{200, "application/json", body + "}", {}};
  if (no_store) out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

}  // namespace strata::frontend
