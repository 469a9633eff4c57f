#include "query/proxy_source.h"

#include <algorithm>
#include <set>

namespace strata::query {
namespace {

class ProxySource : public storeapi::SeriesSource {
 public:
  explicit ProxySource(std::shared_ptr<EndpointSet> endpoints) : endpoints_(std::move(endpoints)) {}

  storeapi::SourceInfo Info() const override {
    storeapi::SourceInfo info;
    std::set<Labels> sets;
    bool any = false;
    for (const auto& e : endpoints_->States()) {
      if (!e.up) continue;
      info.min_time = any ? std::min(info.min_time, e.info.min_time) : e.info.min_time;
      info.max_time = any ? std::max(info.max_time, e.info.max_time) : e.info.max_time;
      any = true;
      sets.insert(e.info.label_sets.begin(), e.info.label_sets.end());
    }
    info.label_sets.assign(sets.begin(), sets.end());
    if (!any) {  // nothing known yet: claim all time, so a querier above does not skip us
      info.min_time = INT64_MIN;
      info.max_time = INT64_MAX;
    }
    return info;
  }

  Status Series(const Matchers& m, int64_t mint, int64_t maxt, bool skip_chunks,
                const storeapi::SeriesFn& fn, const storeapi::WarningFn& warn) override {
    return SeriesDownsampled(m, mint, maxt, 0, skip_chunks, fn, warn);
  }

  Status SeriesDownsampled(const Matchers& m, int64_t mint, int64_t maxt, int64_t max_resolution_ms,
                           bool skip_chunks, const storeapi::SeriesFn& fn,
                           const storeapi::WarningFn& warn) override {
    struct Entry {
      Labels labels;
      std::vector<storeapi::RawChunk> chunks;  // data points into `storage`
    };
    std::vector<Entry> entries;
    std::vector<std::unique_ptr<std::string>> storage;  // chunk bytes, stable addresses
    EndpointSelection sel = endpoints_->Select(mint, maxt, m);
    if (!sel.unavailable.empty()) return Status::IOError("endpoint " + sel.unavailable.front());
    for (const auto& client : sel.clients) {
      STRATA_RETURN_IF_ERROR(client->SeriesRaw(
          m, mint, maxt, max_resolution_ms, skip_chunks,
          [&](const Labels& l, const std::vector<storeapi::RawChunk>& cs) {
            Entry e{l, {}};
            for (const auto& c : cs) {
              storage.push_back(std::make_unique<std::string>(c.data));
              e.chunks.push_back({c.min_time, c.max_time, c.encoding, *storage.back()});
            }
            entries.push_back(std::move(e));
            return Status::OK();
          },
          warn));
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.labels < b.labels; });
    std::vector<storeapi::RawChunk> merged;
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      merged.clear();
      for (; j < entries.size() && entries[j].labels == entries[i].labels; j++) {
        merged.insert(merged.end(), entries[j].chunks.begin(), entries[j].chunks.end());
      }
      std::stable_sort(merged.begin(), merged.end(),
                       [](const storeapi::RawChunk& a, const storeapi::RawChunk& b) {
                         return a.min_time < b.min_time;
                       });
      STRATA_RETURN_IF_ERROR(fn(entries[i].labels, merged));
      i = j;
    }
    return Status::OK();
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& m, int64_t mint,
                                              int64_t maxt) override {
    return Proxy()->LabelNames(m, mint, maxt);
  }
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& m,
                                               int64_t mint, int64_t maxt) override {
    return Proxy()->LabelValues(name, m, mint, maxt);
  }

 private:
  std::unique_ptr<ProxyQuerier> Proxy() const {
    ProxyOptions opts;
    opts.dedup = false;
    opts.partial_response = false;
    auto eps = endpoints_;
    return std::make_unique<ProxyQuerier>(
        [eps](int64_t mint, int64_t maxt, const Matchers& m) { return eps->Select(mint, maxt, m); },
        opts);
  }

  std::shared_ptr<EndpointSet> endpoints_;
};

}  // namespace

std::unique_ptr<storeapi::SeriesSource> NewProxySource(std::shared_ptr<EndpointSet> endpoints) {
  return std::make_unique<ProxySource>(std::move(endpoints));
}

}  // namespace strata::query
