#include "storage/block_querier.h"

#include "storage/merge.h"

namespace strata::storage {
namespace {

class BlockSampleIterator : public SampleIterator {
 public:
  BlockSampleIterator(std::shared_ptr<const tsdb::Block> block,
                      std::shared_ptr<const tsdb::SeriesChunks> series, int64_t mint, int64_t maxt)
      : block_(std::move(block)),
        series_(std::move(series)),
        it_(&block_->chunks(), series_.get(), mint, maxt) {}
  bool Next() override { return it_.Next(); }
  bool Seek(int64_t t) override { return it_.Seek(t); }
  int64_t t() const override { return it_.t(); }
  double v() const override { return it_.v(); }
  Status status() const override { return it_.status(); }

 private:
  std::shared_ptr<const tsdb::Block> block_;  // keeps the mmaps alive
  std::shared_ptr<const tsdb::SeriesChunks> series_;
  tsdb::ChunkSeriesIterator it_;
};

class BlockSeries : public Series {
 public:
  BlockSeries(std::shared_ptr<const tsdb::Block> block, tsdb::SeriesChunks s, int64_t mint,
              int64_t maxt)
      : block_(std::move(block)),
        series_(std::make_shared<tsdb::SeriesChunks>(std::move(s))),
        mint_(mint),
        maxt_(maxt) {}
  const Labels& labels() const override { return series_->labels; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<BlockSampleIterator>(block_, series_, mint_, maxt_);
  }

 private:
  std::shared_ptr<const tsdb::Block> block_;
  std::shared_ptr<const tsdb::SeriesChunks> series_;
  int64_t mint_, maxt_;
};

class BlockQuerier : public Querier {
 public:
  explicit BlockQuerier(std::shared_ptr<const tsdb::Block> b) : block_(std::move(b)) {}
  std::unique_ptr<SeriesSet> Select(const SelectHints& hints, const Matchers& matchers) override {
    auto sel = block_->Select(matchers, hints.start, hints.end);
    if (!sel.ok()) return ErrorSeriesSet(sel.status().WithContext("block " + block_->dir()));
    std::vector<std::shared_ptr<const Series>> out;
    out.reserve(sel->size());
    for (auto& s : *sel) {
      out.push_back(std::make_shared<BlockSeries>(block_, std::move(s), hints.start, hints.end));
    }
    return VectorSeriesSet(std::move(out));
  }

 private:
  std::shared_ptr<const tsdb::Block> block_;
};

class BlocksQuerier : public Querier {
 public:
  explicit BlocksQuerier(std::vector<std::shared_ptr<const tsdb::Block>> blocks)
      : blocks_(std::move(blocks)) {}
  std::unique_ptr<SeriesSet> Select(const SelectHints& hints, const Matchers& matchers) override {
    std::vector<std::unique_ptr<SeriesSet>> sets;
    for (const auto& b : blocks_) {
      if (b->meta().max_time <= hints.start || b->meta().min_time > hints.end) continue;
      sets.push_back(BlockQuerier(b).Select(hints, matchers));
    }
    if (sets.empty()) return VectorSeriesSet({});
    return MergeSeriesSets(std::move(sets));
  }

 private:
  std::vector<std::shared_ptr<const tsdb::Block>> blocks_;
};

}  // namespace

std::unique_ptr<Querier> NewBlockQuerier(std::shared_ptr<const tsdb::Block> block) {
  return std::make_unique<BlockQuerier>(std::move(block));
}

std::unique_ptr<Querier> NewBlocksQuerier(std::vector<std::shared_ptr<const tsdb::Block>> blocks) {
  return std::make_unique<BlocksQuerier>(std::move(blocks));
}

}  // namespace strata::storage
