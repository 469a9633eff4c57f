#include "storage/series.h"

namespace strata::storage {
namespace {

class VectorSet : public SeriesSet {
 public:
  VectorSet(std::vector<std::shared_ptr<const Series>> s, Status st)
      : series_(std::move(s)), status_(std::move(st)) {}
  bool Next() override {
    if (!status_.ok() || pos_ >= series_.size()) return false;
    cur_ = series_[pos_++];
    return true;
  }
  std::shared_ptr<const Series> At() const override { return cur_; }
  Status status() const override { return status_; }

 private:
  std::vector<std::shared_ptr<const Series>> series_;
  size_t pos_ = 0;
  std::shared_ptr<const Series> cur_;
  Status status_;
};

}  // namespace

std::unique_ptr<SeriesSet> VectorSeriesSet(std::vector<std::shared_ptr<const Series>> series) {
  return std::make_unique<VectorSet>(std::move(series), Status::OK());
}

std::unique_ptr<SeriesSet> ErrorSeriesSet(Status status) {
  return std::make_unique<VectorSet>(std::vector<std::shared_ptr<const Series>>{},
                                     std::move(status));
}

}  // namespace strata::storage
