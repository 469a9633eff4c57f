#include "storage/series.h"

namespace strata::storage {

Status SampleIterator::AppendSamples(int64_t mint, int64_t maxt, std::vector<int64_t>* ts,
                                     std::vector<double>* vs) {
  if (Seek(mint)) {
    do {
      if (t() > maxt) break;
      ts->push_back(t());
      vs->push_back(v());
    } while (Next());
  }
  return status();
}

namespace {

class VectorSet : public SeriesSet {
 public:
  VectorSet(std::vector<std::shared_ptr<const Series>> s, Status st,
            std::vector<std::string> warnings = {})
      : series_(std::move(s)), status_(std::move(st)), warnings_(std::move(warnings)) {}
  bool Next() override {
    if (!status_.ok() || pos_ >= series_.size()) return false;
    cur_ = series_[pos_++];
    return true;
  }
  std::shared_ptr<const Series> At() const override { return cur_; }
  Status status() const override { return status_; }
  std::vector<std::string> Warnings() const override { return warnings_; }

 private:
  std::vector<std::shared_ptr<const Series>> series_;
  size_t pos_ = 0;
  std::shared_ptr<const Series> cur_;
  Status status_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::unique_ptr<SeriesSet> VectorSeriesSet(std::vector<std::shared_ptr<const Series>> series,
                                           std::vector<std::string> warnings) {
  return std::make_unique<VectorSet>(std::move(series), Status::OK(), std::move(warnings));
}

std::unique_ptr<SeriesSet> ErrorSeriesSet(Status status) {
  return std::make_unique<VectorSet>(std::vector<std::shared_ptr<const Series>>{},
                                     std::move(status));
}

}  // namespace strata::storage
