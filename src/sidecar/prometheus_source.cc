#include "sidecar/prometheus_source.h"

#include <algorithm>

namespace strata::sidecar {
namespace {

// Series labels with the external labels added; an external label wins over a series label of
// the same name, as in Thanos.
Labels WithExternal(const Labels& series, const Labels& ext) {
  if (ext.empty()) return series;
  std::vector<Label> all(series.begin(), series.end());
  all.insert(all.end(), ext.begin(), ext.end());
  return Labels::FromUnsorted(std::move(all));
}

struct BufferedSeries {
  Labels labels;
  std::vector<RemoteChunk> chunks;
};

}  // namespace

void PrometheusSource::SetExternalLabels(Labels labels) {
  std::lock_guard<std::mutex> l(mu_);
  ext_ = std::move(labels);
}

Labels PrometheusSource::ExternalLabels() const {
  std::lock_guard<std::mutex> l(mu_);
  return ext_;
}

void PrometheusSource::SetTimeRange(int64_t mint, int64_t maxt) {
  std::lock_guard<std::mutex> l(mu_);
  min_time_ = mint;
  max_time_ = maxt;
}

storeapi::SourceInfo PrometheusSource::Info() const {
  std::lock_guard<std::mutex> l(mu_);
  return storeapi::SourceInfo{{ext_}, min_time_, max_time_};
}

std::optional<Matchers> PrometheusSource::LocalMatchers(const Matchers& matchers,
                                                        const Labels& ext) const {
  Matchers local;
  for (const Matcher& m : matchers) {
    if (ext.Has(m.name())) {
      if (!m.Matches(ext.Get(m.name()))) return std::nullopt;
    } else {
      local.push_back(m);
    }
  }
  return local;
}

Status PrometheusSource::Series(const storeapi::SeriesQuery& q, const storeapi::SeriesFn& fn,
                                const storeapi::WarningFn&) {
  const Labels ext = ExternalLabels();
  std::optional<Matchers> local = LocalMatchers(q.matchers, ext);
  if (!local) return Status::OK();
  if (local->empty())
    return Status::InvalidArgument("no matchers specified (excluding external labels)");
  auto final_labels = [&](const Labels& l) {
    return storeapi::WithoutLabels(WithExternal(l, ext), q.without_labels);
  };

  if (q.skip_chunks) {
    STRATA_ASSIGN_OR_RETURN(std::vector<Labels> series, client_->Series(*local, q.mint, q.maxt));
    for (auto& s : series) s = final_labels(s);
    std::sort(series.begin(), series.end());
    for (const auto& s : series) STRATA_RETURN_IF_ERROR(fn(s, {}));
    return Status::OK();
  }

  // Prometheus sorts the series it streams by their labels with the external labels merged in
  // (its own label winning a clash). How much must be held before sending:
  // - nothing when that order is final: series go out as they arrive;
  // - one group of series sharing their first label when external labels are left out
  //   (without_replica_labels): being the same on every series, they reorder series only within
  //   such a group, and the groups come in order (one metric at a time, typically);
  // - everything when a series label named like an external label gets the external value (as
  //   in Thanos) or a series label is left out: either can reorder series anywhere, so the whole
  //   answer is sorted first, as Thanos's sidecar always does.
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          client_->LabelNames(*local, q.mint, q.maxt));
  auto left_out = [&](const std::string& n) {
    return std::find(q.without_labels.begin(), q.without_labels.end(), n) != q.without_labels.end();
  };
  enum class Hold { kNothing, kGroup, kAll };
  Hold hold = Hold::kNothing;
  if (std::any_of(ext.begin(), ext.end(), [&](const Label& l) { return left_out(l.name); }))
    hold = Hold::kGroup;
  if (std::any_of(names.begin(), names.end(),
                  [&](const std::string& n) { return ext.Has(n) || left_out(n); }))
    hold = Hold::kAll;
  auto same_group = [](const Labels& a, const Labels& b) {
    return a.empty() || b.empty() ? a.empty() == b.empty() : a[0] == b[0];
  };
  std::vector<storeapi::RawChunk> raw;
  std::vector<BufferedSeries> held;
  Labels last_sent;
  // Sends what is held, sorted, series left equal merged.
  auto flush = [&]() -> Status {
    if (hold != Hold::kNothing) {
      std::stable_sort(
          held.begin(), held.end(),
          [](const BufferedSeries& a, const BufferedSeries& b) { return a.labels < b.labels; });
    }
    for (size_t i = 0; i < held.size();) {
      BufferedSeries& s = held[i];
      size_t j = i + 1;
      for (; j < held.size() && held[j].labels == s.labels; j++) {
        s.chunks.insert(s.chunks.end(), std::make_move_iterator(held[j].chunks.begin()),
                        std::make_move_iterator(held[j].chunks.end()));
      }
      if (j > i + 1) {
        std::stable_sort(
            s.chunks.begin(), s.chunks.end(),
            [](const RemoteChunk& a, const RemoteChunk& b) { return a.min_time < b.min_time; });
      }
      if (!last_sent.empty() && !(last_sent < s.labels))
        return Status::Internal("Prometheus streamed series out of order: " + s.labels.String() +
                                " after " + last_sent.String());
      raw.clear();
      for (const auto& c : s.chunks) raw.push_back({c.min_time, c.max_time, c.encoding, c.data});
      STRATA_RETURN_IF_ERROR(fn(s.labels, raw));
      last_sent = std::move(s.labels);
      i = j;
    }
    held.clear();
    return Status::OK();
  };
  STRATA_RETURN_IF_ERROR(client_->RemoteRead(
      *local, q.mint, q.maxt, [&](Labels labels, std::vector<RemoteChunk> chunks) -> Status {
        labels = final_labels(labels);
        if (!held.empty() && held.back().labels == labels) {  // continued from the previous frame
          auto& dst = held.back().chunks;
          dst.insert(dst.end(), std::make_move_iterator(chunks.begin()),
                     std::make_move_iterator(chunks.end()));
          return Status::OK();
        }
        if (hold == Hold::kNothing ||
            (hold == Hold::kGroup && !held.empty() && !same_group(held.front().labels, labels)))
          STRATA_RETURN_IF_ERROR(flush());
        held.push_back(BufferedSeries{std::move(labels), std::move(chunks)});
        return Status::OK();
      }));
  return flush();
}

Result<std::vector<std::string>> PrometheusSource::LabelNames(const Matchers& matchers,
                                                              int64_t mint, int64_t maxt) {
  const Labels ext = ExternalLabels();
  std::optional<Matchers> local = LocalMatchers(matchers, ext);
  if (!local) return std::vector<std::string>{};
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, client_->LabelNames(*local, mint, maxt));
  // With no series selected Prometheus has no names, and the external ones do not apply either.
  if (names.empty() && !local->empty()) return names;
  for (const auto& l : ext) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::vector<std::string>> PrometheusSource::LabelValues(const std::string& name,
                                                               const Matchers& matchers,
                                                               int64_t mint, int64_t maxt) {
  const Labels ext = ExternalLabels();
  std::optional<Matchers> local = LocalMatchers(matchers, ext);
  if (!local) return std::vector<std::string>{};
  if (ext.Has(name)) {
    if (!local->empty()) {
      STRATA_ASSIGN_OR_RETURN(std::vector<Labels> series, client_->Series(*local, mint, maxt));
      if (series.empty()) return std::vector<std::string>{};
    }
    return std::vector<std::string>{std::string(ext.Get(name))};
  }
  return client_->LabelValues(name, *local, mint, maxt);
}

}  // namespace strata::sidecar
