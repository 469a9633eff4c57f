#include "frontend/results_cache.h"

#include <algorithm>
#include <cstdio>

#include "base/encoding.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "frontend/util.h"

namespace strata::frontend {
namespace {

// Cortex's minimum extent: shorter cached pieces are not worth a split of the request.
constexpr int64_t kMinCacheExtentMs = 5 * 60 * 1000;

// Entries are sealed and hashed under the key with the extents' format version in front, so an
// entry in an earlier format (a shared memcached, a rolling update) is a miss, not misread.
std::string EntryKey(const std::string& key) { return "v2|" + key; }

}  // namespace

ResultsCache::ResultsCache(std::unique_ptr<cache::Cache> cache, ResultsCacheOptions opts,
                           Fanout fanout)
    : cache_(std::move(cache)), opts_(opts), fanout_(std::move(fanout)) {}

std::vector<ResultsCache::Extent> ResultsCache::Decode(const std::string& sealed_key,
                                                       const std::optional<std::string>& entry) {
  if (!entry) return {};
  std::string scratch;
  auto payload = OpenEntry(sealed_key, *entry, opts_.snappy, &scratch);
  if (!payload) return {};  // another key under the same hash, or not ours
  Decoder d(*payload);
  std::vector<Extent> out;
  const uint64_t n = d.Uvarint();
  for (uint64_t i = 0; i < n && d.ok(); i++) {
    Extent e;
    e.start_ms = d.Varint();
    e.end_ms = d.Varint();
    auto m = DecodeMatrix(d.UvarintStr());
    if (!d.ok() || !m.ok()) break;
    e.matrix = std::move(*m);
    out.push_back(std::move(e));
  }
  if (!d.ok() || out.size() != n) {
    log::Warn("results cache: a malformed entry is treated as a miss", {{"key", sealed_key}});
    return {};
  }
  std::sort(out.begin(), out.end(),
            [](const Extent& a, const Extent& b) { return a.start_ms < b.start_ms; });
  return out;
}

void ResultsCache::Save(const std::string& sealed_key, std::vector<Extent> extents, int64_t step_ms,
                        int64_t max_cache_time_ms) {
  // Only whole steps older than the max freshness: later points may still change.
  const int64_t limit = max_cache_time_ms / step_ms * step_ms;
  std::vector<Extent> kept;
  for (auto& x : extents) {
    if (x.start_ms > limit) continue;
    if (x.end_ms > limit) {
      x.end_ms = limit;
      x.matrix = Extract(x.matrix, x.start_ms, limit);
    }
    kept.push_back(std::move(x));
  }
  if (kept.empty()) return;
  Encoder e;
  e.PutUvarint(kept.size());
  for (const auto& x : kept) {
    e.PutVarint(x.start_ms);
    e.PutVarint(x.end_ms);
    e.PutUvarintStr(EncodeMatrix(x.matrix));
  }
  cache_->Store(HashKey(sealed_key), SealEntry(sealed_key, e.buf(), opts_.snappy), opts_.ttl_ms);
}

Result<Answer> ResultsCache::Get(const RangeRequest& r, std::string_view tenant, bool bypass,
                                 const QueryFn& next) {
  return std::move(GetAll({r}, tenant, bypass, next)[0]);
}

std::vector<Result<Answer>> ResultsCache::GetAll(const std::vector<RangeRequest>& rs,
                                                 std::string_view tenant, bool bypass,
                                                 const QueryFn& next) {
  const int64_t max_cache_time = NowMs() - opts_.max_freshness_ms;
  std::vector<Plan> plans(rs.size());
  std::vector<std::string> hashes;
  std::vector<size_t> looked_up;
  for (size_t i = 0; i < rs.size(); i++) {
    if (bypass || rs[i].start_ms > max_cache_time) {
      plans[i].missing.push_back(rs[i]);  // straight to the querier, not kept
      continue;
    }
    plans[i].key = EntryKey(CacheKey(rs[i], tenant, opts_.split.IntervalFor(rs[i])));
    hashes.push_back(HashKey(plans[i].key));
    looked_up.push_back(i);
  }
  // One cache call for every part: one round trip to memcached, and no thread hand-over for a
  // part the cache answers whole.
  if (!hashes.empty()) {
    auto got = cache_->Fetch(hashes);
    got.resize(hashes.size());  // a key a cache did not answer for is a miss
    for (size_t k = 0; k < looked_up.size(); k++) {
      const size_t i = looked_up[k];
      PlanFromExtents(rs[i], Decode(plans[i].key, got[k]), &plans[i]);
    }
  }

  // Every range the extents miss, of every part, asked of the querier in parallel.
  std::vector<std::pair<size_t, size_t>> asks;  // (part, missing range)
  for (size_t i = 0; i < plans.size(); i++) {
    for (size_t j = 0; j < plans[i].missing.size(); j++) asks.emplace_back(i, j);
  }
  std::vector<Result<Answer>> answers(asks.size(), Status::Internal("not run"));
  fanout_(asks.size(),
          [&](size_t k) { answers[k] = next(plans[asks[k].first].missing[asks[k].second]); });

  std::vector<Result<Answer>> out;
  out.reserve(rs.size());
  size_t k = 0;
  for (size_t i = 0; i < plans.size(); i++) {
    const size_t n = plans[i].missing.size();
    std::vector<Result<Answer>> mine;
    for (size_t j = 0; j < n; j++) mine.push_back(std::move(answers[k++]));
    if (plans[i].key.empty()) {
      out.push_back(std::move(mine[0]));
    } else {
      out.push_back(Complete(rs[i], std::move(plans[i]), std::move(mine), max_cache_time));
    }
  }
  return out;
}

void ResultsCache::PlanFromExtents(const RangeRequest& r, std::vector<Extent> extents, Plan* plan) {
  // The common warm case: one extent holds the whole range.
  for (auto& x : extents) {
    if (x.start_ms <= r.start_ms && x.end_ms >= r.end_ms) {
      plan->cached.push_back(x.start_ms == r.start_ms && x.end_ms == r.end_ms
                                 ? std::move(x.matrix)
                                 : Extract(x.matrix, r.start_ms, r.end_ms));
      return;
    }
  }
  // What the extents answer, and the ranges between them that the querier must.
  int64_t cur = r.start_ms;
  const bool long_request = r.end_ms - r.start_ms > kMinCacheExtentMs;
  for (const auto& x : extents) {
    if (x.end_ms < cur || x.start_ms > r.end_ms) continue;
    if (long_request && x.end_ms - x.start_ms < kMinCacheExtentMs) continue;
    if (cur < x.start_ms) plan->missing.push_back(r.WithRange(cur, x.start_ms));
    plan->cached.push_back(Extract(x.matrix, cur, r.end_ms));
    cur = std::max(cur, x.end_ms);
  }
  if (cur < r.end_ms || (plan->cached.empty() && plan->missing.empty()))
    plan->missing.push_back(r.WithRange(cur, r.end_ms));
  if (!plan->missing.empty()) plan->extents = std::move(extents);
}

Result<Answer> ResultsCache::Complete(const RangeRequest& r, Plan plan,
                                      std::vector<Result<Answer>> answers, int64_t max_cache_time) {
  if (plan.missing.empty()) return Answer{Merge(std::move(plan.cached)), false};
  const bool cacheable = QueryCacheable(r, max_cache_time);
  std::vector<Extent>& extents = plan.extents;
  Answer out;
  for (size_t i = 0; i < plan.missing.size(); i++) {
    if (!answers[i].ok()) return answers[i].status();
    Answer& a = *answers[i];
    out.no_store |= a.no_store;
    if (cacheable && !a.no_store) {
      extents.push_back({plan.missing[i].start_ms, plan.missing[i].end_ms, a.matrix});
    }
    plan.cached.push_back(std::move(a.matrix));
  }
  out.matrix = Merge(std::move(plan.cached));

  // Adjacent or overlapping extents become one, so the entry stays small.
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.end_ms > b.end_ms;
  });
  std::vector<Extent> merged;
  for (auto& x : extents) {
    if (!merged.empty() && merged.back().end_ms + r.step_ms >= x.start_ms) {
      Extent& acc = merged.back();
      if (x.end_ms <= acc.end_ms) continue;
      std::vector<Matrix> two;
      two.push_back(std::move(acc.matrix));
      two.push_back(std::move(x.matrix));
      acc.matrix = Merge(std::move(two));
      acc.end_ms = x.end_ms;
      continue;
    }
    merged.push_back(std::move(x));
  }
  Save(plan.key, std::move(merged), r.step_ms, max_cache_time);
  return out;
}

}  // namespace strata::frontend
