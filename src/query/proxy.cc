#include "query/proxy.h"

#include <set>

#include "base/timestamp.h"
#include "dedup/dedup.h"
#include "storage/merge.h"

namespace strata::query {
namespace {

// One endpoint's stream inside the merge. When it ends, its warnings and, with partial
// responses, its error become the querier's warnings; without, the error fails the merge.
class EndpointSeriesSet : public storage::SeriesSet {
 public:
  EndpointSeriesSet(std::unique_ptr<storage::SeriesSet> inner, ProxyQuerier* proxy, bool partial)
      : inner_(std::move(inner)), proxy_(proxy), partial_(partial) {}
  bool Next() override {
    if (inner_->Next()) return true;
    if (!finished_) {
      finished_ = true;
      for (const auto& w : inner_->Warnings()) proxy_->Warn(Status(StatusCode::kIOError, w));
      if (!inner_->status().ok()) {
        if (partial_) {
          proxy_->Warn(inner_->status());
        } else {
          status_ = inner_->status();
        }
      }
    }
    return false;
  }
  std::shared_ptr<const storage::Series> At() const override { return inner_->At(); }
  Status status() const override { return status_; }

 private:
  std::unique_ptr<storage::SeriesSet> inner_;
  ProxyQuerier* proxy_;
  bool partial_;
  bool finished_ = false;
  Status status_;
};

}  // namespace

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
  // Every endpoint is asked at once; their sorted streams are merged as they arrive.
  storage::SelectHints h = hints;
  if (opts_.response_timeout_ms > 0) {
    const int64_t give_up = NowMs() + opts_.response_timeout_ms;
    h.deadline_ms = h.deadline_ms > 0 ? std::min(h.deadline_ms, give_up) : give_up;
  }
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  for (const auto& ep : *picked) {
    sets.push_back(
        std::make_unique<EndpointSeriesSet>(ep->Select(h, matchers), this, opts_.partial_response));
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
