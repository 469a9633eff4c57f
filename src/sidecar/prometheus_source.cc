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
  // (its own label winning a clash). Without a clash that is the final order, so series go out
  // as they arrive. A series label named like an external label gets the external value here, as
  // in Thanos, and leaving labels out (without_replica_labels) changes the labels too; either
  // can reorder series: then everything is buffered and sorted first, as Thanos's sidecar does.
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          client_->LabelNames(*local, q.mint, q.maxt));
  auto left_out = [&](const std::string& n) {
    return std::find(q.without_labels.begin(), q.without_labels.end(), n) != q.without_labels.end();
  };
  const bool resort =
      std::any_of(names.begin(), names.end(),
                  [&](const std::string& n) { return ext.Has(n) || left_out(n); }) ||
      std::any_of(ext.begin(), ext.end(), [&](const Label& l) { return left_out(l.name); });
  std::vector<storeapi::RawChunk> raw;
  auto send = [&](const BufferedSeries& s) {
    raw.clear();
    for (const auto& c : s.chunks) raw.push_back({c.min_time, c.max_time, c.encoding, c.data});
    return fn(s.labels, raw);
  };
  std::vector<BufferedSeries> all;
  Labels last_sent;
  STRATA_RETURN_IF_ERROR(client_->RemoteRead(
      *local, q.mint, q.maxt, [&](Labels labels, std::vector<RemoteChunk> chunks) -> Status {
        labels = final_labels(labels);
        if (!all.empty() && all.back().labels == labels) {  // continued from the previous frame
          auto& dst = all.back().chunks;
          dst.insert(dst.end(), std::make_move_iterator(chunks.begin()),
                     std::make_move_iterator(chunks.end()));
          return Status::OK();
        }
        if (!resort && !all.empty()) {
          if (!last_sent.empty() && !(last_sent < all.back().labels))
            return Status::Internal("Prometheus streamed series out of order: " +
                                    all.back().labels.String() + " after " + last_sent.String());
          STRATA_RETURN_IF_ERROR(send(all.back()));
          last_sent = std::move(all.back().labels);
          all.clear();
        }
        all.push_back(BufferedSeries{std::move(labels), std::move(chunks)});
        return Status::OK();
      }));
  if (resort) {
    std::stable_sort(all.begin(), all.end(), [](const BufferedSeries& a, const BufferedSeries& b) {
      return a.labels < b.labels;
    });
  }
  for (const auto& s : all) STRATA_RETURN_IF_ERROR(send(s));
  return Status::OK();
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
