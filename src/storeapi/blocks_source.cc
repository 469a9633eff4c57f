// SeriesSource over local TSDB blocks.
#include <algorithm>
#include <set>

#include "storeapi/source.h"

namespace strata::storeapi {
namespace {

Labels ExternalLabels(const tsdb::Block& b) {
  return b.meta().thanos ? b.meta().thanos->labels : Labels{};
}

class BlocksSource : public SeriesSource {
 public:
  explicit BlocksSource(std::vector<std::shared_ptr<const tsdb::Block>> blocks)
      : blocks_(std::move(blocks)) {}

  SourceInfo Info() const override {
    SourceInfo info;
    std::set<Labels> sets;
    info.min_time = blocks_.empty() ? 0 : INT64_MAX;
    info.max_time = blocks_.empty() ? 0 : INT64_MIN;
    for (const auto& b : blocks_) {
      sets.insert(ExternalLabels(*b));
      info.min_time = std::min(info.min_time, b->meta().min_time);
      info.max_time = std::max(info.max_time, b->meta().max_time);
    }
    info.label_sets.assign(sets.begin(), sets.end());
    return info;
  }

  Status Series(const SeriesQuery& q, const SeriesFn& fn, const WarningFn&) override {
    struct Entry {
      Labels labels;
      const tsdb::Block* block;
      tsdb::SeriesChunks series;
    };
    std::vector<Entry> entries;
    for (const auto& b : blocks_) {
      if (b->meta().max_time <= q.mint || b->meta().min_time > q.maxt) continue;
      const Labels ext = ExternalLabels(*b);
      Matchers rest;
      if (!MatchExternalLabels(ext, q.matchers, &rest)) continue;
      auto sel = b->Select(rest, q.mint, q.maxt);
      if (!sel.ok()) return sel.status().WithContext("block " + b->dir());
      for (auto& s : *sel) {
        Labels l = s.labels;
        for (const auto& e : ext) l = l.With(e.name, e.value);
        entries.push_back({WithoutLabels(l, q.without_labels), b.get(), std::move(s)});
      }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.labels < b.labels; });
    std::vector<RawChunk> chunks;
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      chunks.clear();
      for (; j < entries.size() && entries[j].labels == entries[i].labels; j++) {
        if (q.skip_chunks) continue;
        for (const auto& cm : entries[j].series.chunks) {
          auto data = entries[j].block->chunks().Chunk(cm.ref);
          if (!data.ok()) return data.status().WithContext("block " + entries[j].block->dir());
          chunks.push_back({cm.min_time, cm.max_time, data->encoding, data->data});
        }
      }
      std::stable_sort(chunks.begin(), chunks.end(), [](const RawChunk& a, const RawChunk& b) {
        return a.min_time < b.min_time;
      });
      STRATA_RETURN_IF_ERROR(fn(entries[i].labels, chunks));
      i = j;
    }
    return Status::OK();
  }

  Result<std::vector<std::string>> LabelNames(const Matchers& matchers, int64_t mint,
                                              int64_t maxt) override {
    std::set<std::string> names;
    if (matchers.empty()) {
      for (const auto& b : blocks_) {
        if (b->meta().max_time <= mint || b->meta().min_time > maxt) continue;
        for (auto n : b->index().LabelNames()) names.emplace(n);
        for (const auto& e : ExternalLabels(*b)) names.insert(e.name);
      }
    } else {
      STRATA_RETURN_IF_ERROR(Series({matchers, mint, maxt, 0, true, {}},
                                    [&](const Labels& l, const std::vector<RawChunk>&) {
                                      for (const auto& x : l) names.insert(x.name);
                                      return Status::OK();
                                    },
                                    {}));
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers,
                                               int64_t mint, int64_t maxt) override {
    std::set<std::string> values;
    if (matchers.empty()) {
      for (const auto& b : blocks_) {
        if (b->meta().max_time <= mint || b->meta().min_time > maxt) continue;
        const Labels ext = ExternalLabels(*b);
        if (ext.Has(name)) {
          values.emplace(ext.Get(name));
          continue;
        }
        for (auto v : b->index().LabelValues(name)) values.emplace(v);
      }
    } else {
      STRATA_RETURN_IF_ERROR(Series({matchers, mint, maxt, 0, true, {}},
                                    [&](const Labels& l, const std::vector<RawChunk>&) {
                                      if (l.Has(name)) values.emplace(l.Get(name));
                                      return Status::OK();
                                    },
                                    {}));
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

 private:
  std::vector<std::shared_ptr<const tsdb::Block>> blocks_;
};

}  // namespace

bool MatchExternalLabels(const Labels& ext, const Matchers& matchers, Matchers* rest) {
  for (const auto& m : matchers) {
    if (ext.Has(m.name())) {
      if (!m.Matches(ext.Get(m.name()))) return false;
    } else {
      rest->push_back(m);
    }
  }
  return true;
}

Labels WithoutLabels(const Labels& l, const std::vector<std::string>& names) {
  if (names.empty()) return l;
  std::vector<Label> kept;
  kept.reserve(l.size());
  for (const auto& x : l) {
    if (std::find(names.begin(), names.end(), x.name) == names.end()) kept.push_back(x);
  }
  return Labels::FromSorted(std::move(kept));
}

std::unique_ptr<SeriesSource> NewBlocksSource(
    std::vector<std::shared_ptr<const tsdb::Block>> blocks) {
  return std::make_unique<BlocksSource>(std::move(blocks));
}

}  // namespace strata::storeapi
