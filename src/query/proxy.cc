#include "query/proxy.h"

#include <future>
#include <set>

#include "base/timestamp.h"
#include "dedup/dedup.h"
#include "storage/merge.h"

namespace strata::query {

void ProxyQuerier::Warn(const Status& st) {
  std::lock_guard<std::mutex> l(mu_);
  warnings_.push_back(st.message());
}

std::vector<std::string> ProxyQuerier::TakeWarnings() {
  std::lock_guard<std::mutex> l(mu_);
  return std::move(warnings_);
}

Result<std::vector<std::shared_ptr<storeapi::StoreClient>>> ProxyQuerier::Pick(int64_t mint,
                                                                               int64_t maxt,
                                                                               const Matchers& m) {
  EndpointSelection sel = endpoints_(mint, maxt, m);
  for (const auto& u : sel.unavailable) {
    Status st = Status::IOError("endpoint " + u);
    if (!opts_.partial_response) return st;
    Warn(st);
  }
  return sel.clients;
}

std::unique_ptr<storage::SeriesSet> ProxyQuerier::Select(const storage::SelectHints& hints,
                                                         const Matchers& matchers) {
  auto picked = Pick(hints.start, hints.end, matchers);
  if (!picked.ok()) return storage::ErrorSeriesSet(picked.status());
  // Every endpoint is asked concurrently; their sorted answers are merged.
  storage::SelectHints h = hints;
  h.max_resolution_ms = opts_.max_resolution_ms;
  if (opts_.response_timeout_ms > 0) {
    const int64_t give_up = NowMs() + opts_.response_timeout_ms;
    h.deadline_ms = h.deadline_ms > 0 ? std::min(h.deadline_ms, give_up) : give_up;
  }
  // Each endpoint is read to its end by a thread of its own. Reading them lazily from the merge
  // was tried: a call the merge is not reading (because it waits on a slow endpoint) is not
  // finished before its --store.response-timeout deadline and fails although it had answered.
  std::vector<std::future<std::unique_ptr<storage::SeriesSet>>> futures;
  for (const auto& ep : *picked) {
    futures.push_back(std::async(
        std::launch::async, [ep, hints = h, matchers]() -> std::unique_ptr<storage::SeriesSet> {
          auto set = ep->Select(hints, matchers);
          std::vector<std::shared_ptr<const storage::Series>> all;
          while (set->Next()) all.push_back(set->At());
          if (!set->status().ok()) return storage::ErrorSeriesSet(set->status());
          return storage::VectorSeriesSet(std::move(all), set->Warnings());
        }));
  }
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  for (auto& f : futures) {
    auto set = f.get();
    if (!set->status().ok()) {
      if (!opts_.partial_response) return set;
      Warn(set->status());
      continue;
    }
    for (const auto& w : set->Warnings()) Warn(Status(StatusCode::kIOError, w));
    sets.push_back(std::move(set));
  }
  auto merged = storage::MergeSeriesSets(std::move(sets));
  if (!opts_.dedup || opts_.replica_labels.empty()) return merged;
  return dedup::DedupSeriesSet(std::move(merged), opts_.replica_labels, hints.func,
                               opts_.dedup_algorithm);
}

Result<std::vector<std::string>> ProxyQuerier::LabelNames(const Matchers& matchers, int64_t mint,
                                                          int64_t maxt) {
  std::set<std::string> names;
  STRATA_ASSIGN_OR_RETURN(auto picked, Pick(mint, maxt, matchers));
  for (const auto& ep : picked) {
    auto r = ep->LabelNames(matchers, mint, maxt);
    if (!r.ok()) {
      if (!opts_.partial_response) return r.status();
      Warn(r.status());
      continue;
    }
    names.insert(r->begin(), r->end());
  }
  if (opts_.dedup) {
    for (const auto& rl : opts_.replica_labels) names.erase(rl);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> ProxyQuerier::LabelValues(const std::string& name,
                                                           const Matchers& matchers, int64_t mint,
                                                           int64_t maxt) {
  std::set<std::string> values;
  if (opts_.dedup) {
    for (const auto& rl : opts_.replica_labels) {
      if (rl == name) return std::vector<std::string>{};
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto picked, Pick(mint, maxt, matchers));
  for (const auto& ep : picked) {
    auto r = ep->LabelValues(name, matchers, mint, maxt);
    if (!r.ok()) {
      if (!opts_.partial_response) return r.status();
      Warn(r.status());
      continue;
    }
    values.insert(r->begin(), r->end());
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace strata::query
