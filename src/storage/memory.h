// An in-memory series store: the PromQL test-script runner and unit tests load samples into it
// and query it through the same Querier interface the engine uses everywhere.
// Thread-safety: Add must not race with Select; concurrent Selects are fine.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "storage/series.h"

namespace strata::storage {

class MemoryStore : public Querier {
 public:
  // Appends samples to a series (created on first use); timestamps must increase per series.
  void Add(const Labels& labels, int64_t t, double v);
  void Clear() { series_.clear(); }
  size_t NumSeries() const { return series_.size(); }

  std::unique_ptr<SeriesSet> Select(const SelectHints& hints, const Matchers& matchers) override;

 private:
  struct Data {
    std::vector<int64_t> t;
    std::vector<double> v;
  };
  std::map<Labels, std::shared_ptr<Data>> series_;  // sorted by labels, as a SeriesSet must be
};

}  // namespace strata::storage
