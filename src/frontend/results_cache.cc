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

std::vector<ResultsCache::Extent> ResultsCache::Load(const std::string& query_key) {
  const std::string key = EntryKey(query_key);
  auto got = cache_->Fetch({HashKey(key)});
  if (got.empty() || !got[0]) return {};
  std::string scratch;
  auto payload = OpenEntry(key, *got[0], opts_.snappy, &scratch);
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
    log::Warn("results cache: a malformed entry is treated as a miss", {{"key", key}});
    return {};
  }
  return out;
}

void ResultsCache::Save(const std::string& key, std::vector<Extent> extents, int64_t step_ms,
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
  const std::string sealed = EntryKey(key);
  cache_->Store(HashKey(sealed), SealEntry(sealed, e.buf(), opts_.snappy), opts_.ttl_ms);
}

Result<Answer> ResultsCache::Get(const RangeRequest& r, std::string_view tenant, bool bypass,
                                 const QueryFn& next) {
  const int64_t max_cache_time = NowMs() - opts_.max_freshness_ms;
  if (bypass || r.start_ms > max_cache_time) return next(r);
  const std::string key = CacheKey(r, tenant, opts_.split.IntervalFor(r));
  std::vector<Extent> extents = Load(key);
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.start_ms < b.start_ms; });

  // The common warm case: one extent holds the whole range, and its decoded answer is ours.
  for (auto& x : extents) {
    if (x.start_ms <= r.start_ms && x.end_ms >= r.end_ms) {
      if (x.start_ms == r.start_ms && x.end_ms == r.end_ms)
        return Answer{std::move(x.matrix), false};
      return Answer{Extract(x.matrix, r.start_ms, r.end_ms), false};
    }
  }

  // What the extents answer, and the ranges between them that the querier must.
  std::vector<Matrix> parts;
  std::vector<RangeRequest> missing;
  int64_t cur = r.start_ms;
  const bool long_request = r.end_ms - r.start_ms > kMinCacheExtentMs;
  for (const auto& x : extents) {
    if (x.end_ms < cur || x.start_ms > r.end_ms) continue;
    if (long_request && x.end_ms - x.start_ms < kMinCacheExtentMs) continue;
    if (cur < x.start_ms) missing.push_back(r.WithRange(cur, x.start_ms));
    parts.push_back(Extract(x.matrix, cur, r.end_ms));
    cur = std::max(cur, x.end_ms);
  }
  if (cur < r.end_ms || (parts.empty() && missing.empty()))
    missing.push_back(r.WithRange(cur, r.end_ms));
  if (missing.empty()) return Answer{Merge(std::move(parts)), false};

  std::vector<Result<Answer>> answers(missing.size(), Status::Internal("not run"));
  fanout_(missing.size(), [&](size_t i) { answers[i] = next(missing[i]); });
  const bool cacheable = QueryCacheable(r, max_cache_time);
  Answer out;
  for (size_t i = 0; i < missing.size(); i++) {
    if (!answers[i].ok()) return answers[i].status();
    Answer& a = *answers[i];
    out.no_store |= a.no_store;
    if (cacheable && !a.no_store) {
      extents.push_back({missing[i].start_ms, missing[i].end_ms, a.matrix});
    }
    parts.push_back(std::move(a.matrix));
  }
  out.matrix = Merge(std::move(parts));

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
  Save(key, std::move(merged), r.step_ms, max_cache_time);
  return out;
}

}  // namespace strata::frontend
