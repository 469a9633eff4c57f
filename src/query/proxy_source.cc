#include "query/proxy_source.h"

#include <algorithm>
#include <set>

namespace strata::query {
namespace {

// An endpoint's answer read whole, its chunks copied, and sorted by labels.
class SortedRawStream : public storeapi::RawSeriesStream {
 public:
  static std::unique_ptr<storeapi::RawSeriesStream> Read(
      std::unique_ptr<storeapi::RawSeriesStream> in) {
    auto out = std::make_unique<SortedRawStream>();
    while (in->Next()) {
      Entry e{in->labels(), in->chunks(), {}};
      for (const auto& c : in->chunks()) e.data.emplace_back(c.data);
      out->entries_.push_back(std::move(e));
    }
    out->status_ = in->status();
    std::stable_sort(out->entries_.begin(), out->entries_.end(),
                     [](const Entry& a, const Entry& b) { return a.labels < b.labels; });
    return out;
  }

  bool Next() override {
    if (next_ > 0) entries_[next_ - 1] = {};  // done with the previous one
    if (next_ >= entries_.size()) return false;
    Entry& e = entries_[next_++];
    chunks_ = e.chunks;
    for (size_t i = 0; i < chunks_.size(); i++) chunks_[i].data = e.data[i];
    return true;
  }
  const Labels& labels() const override { return entries_[next_ - 1].labels; }
  const std::vector<storeapi::RawChunk>& chunks() const override { return chunks_; }
  Status status() const override { return status_; }

 private:
  struct Entry {
    Labels labels;
    std::vector<storeapi::RawChunk> chunks;  // their data is in `data` (views set by Next)
    std::vector<std::string> data;
  };
  std::vector<Entry> entries_;
  size_t next_ = 0;
  std::vector<storeapi::RawChunk> chunks_;
  Status status_;
};

class ProxySource : public storeapi::SeriesSource {
 public:
  ProxySource(std::shared_ptr<EndpointSet> endpoints, Labels selector_labels)
      : endpoints_(std::move(endpoints)), selector_labels_(std::move(selector_labels)) {}

  storeapi::SourceInfo Info() const override {
    storeapi::SourceInfo info;
    std::set<Labels> sets;
    bool any = false;
    for (const auto& e : endpoints_->States()) {
      if (!e.up) continue;
      info.min_time = any ? std::min(info.min_time, e.info.min_time) : e.info.min_time;
      info.max_time = any ? std::max(info.max_time, e.info.max_time) : e.info.max_time;
      any = true;
      for (const Labels& ls : e.info.label_sets) {
        Labels extended = ls;
        for (const Label& l : selector_labels_) extended = extended.With(l.name, l.value);
        sets.insert(std::move(extended));
      }
    }
    if (sets.empty() && !selector_labels_.empty()) sets.insert(selector_labels_);
    info.label_sets.assign(sets.begin(), sets.end());
    if (!any) {  // nothing known yet: claim all time, so a querier above does not skip us
      info.min_time = INT64_MIN;
      info.max_time = INT64_MAX;
    }
    return info;
  }

  // Merges the endpoints' streams as they arrive: per step the smallest label set, its chunks
  // from every endpoint holding it, in time order. Only each endpoint's current series is held
  // (gRPC flow control holds back the others), except for endpoints that cannot leave labels
  // out: those answers are read whole and sorted.
  Status Series(const storeapi::SeriesQuery& query, const storeapi::SeriesFn& fn,
                const storeapi::WarningFn& warn) override {
    STRATA_ASSIGN_OR_RETURN(std::optional<Matchers> matchers,
                            ApplySelectorLabels(selector_labels_, query.matchers));
    if (!matchers) return Status::OK();
    storeapi::SeriesQuery q = query;
    q.matchers = std::move(*matchers);
    EndpointSelection sel = endpoints_->Select(q.mint, q.maxt, q.matchers);
    if (!sel.unavailable.empty()) return Status::IOError("endpoint " + sel.unavailable.front());
    std::vector<std::unique_ptr<storeapi::RawSeriesStream>> streams;
    for (const auto& client : sel.clients) {
      auto stream = client->SeriesRawStream(q, warn);
      if (!q.without_labels.empty() && !client->supports_without_labels())
        stream = SortedRawStream::Read(std::move(stream));
      streams.push_back(std::move(stream));
    }
    std::vector<size_t> live;  // streams positioned on a series
    auto advance = [&](size_t i) -> Status {
      if (streams[i]->Next()) return Status::OK();
      live.erase(std::find(live.begin(), live.end(), i));
      return streams[i]->status();
    };
    for (size_t i = 0; i < streams.size(); i++) {
      live.push_back(i);
      STRATA_RETURN_IF_ERROR(advance(i));
    }
    std::vector<size_t> group;
    std::vector<storeapi::RawChunk> chunks;
    while (!live.empty()) {
      group.clear();
      for (size_t i : live) {
        const int c =
            group.empty() ? -1 : CompareLabels(streams[i]->labels(), streams[group[0]]->labels());
        if (c < 0) group.assign(1, i);
        if (c == 0) group.push_back(i);
      }
      chunks.clear();
      for (size_t i : group) {
        const auto& cs = streams[i]->chunks();
        chunks.insert(chunks.end(), cs.begin(), cs.end());
      }
      if (group.size() > 1) {
        std::stable_sort(chunks.begin(), chunks.end(),
                         [](const storeapi::RawChunk& a, const storeapi::RawChunk& b) {
                           return a.min_time < b.min_time;
                         });
      }
      STRATA_RETURN_IF_ERROR(fn(streams[group[0]]->labels(), chunks));
      for (size_t i : group) STRATA_RETURN_IF_ERROR(advance(i));
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
  const Labels selector_labels_;
};

}  // namespace

std::unique_ptr<storeapi::SeriesSource> NewProxySource(std::shared_ptr<EndpointSet> endpoints,
                                                       Labels selector_labels) {
  return std::make_unique<ProxySource>(std::move(endpoints), std::move(selector_labels));
}

}  // namespace strata::query
