#include "downsample/downsample_block.h"

#include <deque>

#include "base/shutdown.h"
#include "base/timestamp.h"
#include "downsample/aggregate.h"
#include "downsample/iterators.h"
#include "tsdb/aggr_chunk.h"
#include "tsdb/block.h"
#include "tsdb/series_writer.h"

namespace strata::downsample {
Result<tsdb::BlockMeta> DownsampleBlock(const std::string& block_dir, const std::string& out_parent,
                                        int64_t resolution) {
  STRATA_ASSIGN_OR_RETURN(auto block, tsdb::Block::Open(block_dir));
  const tsdb::BlockMeta& src = block->meta();
  const int64_t in_res = src.thanos ? src.thanos->downsample_resolution : 0;
  if (resolution <= in_res)
    return Status::InvalidArgument("block " + block_dir + " has resolution " +
                                   std::to_string(in_res) + "ms, not finer than " +
                                   std::to_string(resolution) + "ms");
  auto fail = [&](const Labels& l, const Status& st) {
    return Status(st.code(), "block " + block_dir + ": series " + l.String() + ": " + st.message());
  };

  const auto& symbols = block->index().symbols();
  STRATA_ASSIGN_OR_RETURN(
      auto writer,
      tsdb::SeriesWriter::Create(out_parent, Ulid::New(NowMs()), {symbols.begin(), symbols.end()}));
  auto refs = block->index().ReadPostings("", "");
  if (!refs.ok()) return Status::Corruption("block " + block_dir + ": " + refs.status().message());

  std::vector<Sample> samples;
  std::vector<AggrChunk> out;
  std::deque<std::string> aggr_storage;  // aggregate chunks made from stray raw chunks
  std::vector<std::string_view> aggr;
  std::vector<tsdb::EncodedChunk> encoded;
  for (size_t n = 0; n < refs->size(); n++) {
    if (n % 1024 == 0 && shutdown::Requested())
      return Status(StatusCode::kCancelled, "downsampling stopped: shutting down");
    auto series = block->index().ReadSeries((*refs)[n]);
    if (!series.ok())
      return Status::Corruption("block " + block_dir + ": " + series.status().message());
    const Labels& labels = series->labels;
    const auto& metas = series->chunks;
    // Chunks are read in the order they were written: what lies before this series' chunks
    // is done with, and need not stay resident (see compact's merge).
    if (n % 1024 == 0 && !metas.empty()) block->chunks().DropBefore(metas[0].ref);
    for (size_t i = 1; i < metas.size(); i++)
      if (metas[i].min_time <= metas[i - 1].max_time)
        return fail(labels, Status::Corruption("overlapping chunks"));
    samples.clear();
    aggr.clear();
    aggr_storage.clear();
    for (const auto& m : metas) {
      auto c = block->chunks().Chunk(m.ref);
      if (!c.ok()) return fail(labels, c.status());
      if (c->encoding == tsdb::kAggrChunkEncoding && in_res > 0) {
        aggr.push_back(c->data);
        continue;
      }
      if (Status st = tsdb::CheckChunkEncoding(c->encoding); !st.ok()) return fail(labels, st);
      auto it = NewXorSampleIterator(c->data);
      if (Status st = AppendSamples(*it, &samples); !st.ok()) return fail(labels, st);
      if (in_res > 0 && !samples.empty()) {
        // A raw chunk in a downsampled block (Thanos wrote some by mistake): made 5m first.
        for (auto& a : DownsampleRaw(samples, kRes5m)) {
          aggr_storage.push_back(std::move(a.data));
          aggr.push_back(aggr_storage.back());
        }
        samples.clear();
      }
    }
    if (in_res == 0) {
      out = DownsampleRaw(samples, resolution);
    } else {
      if (aggr.empty()) continue;
      auto r =
          DownsampleAggr(aggr, metas.front().min_time, metas.back().max_time, in_res, resolution);
      if (!r.ok()) return fail(labels, r.status());
      out = std::move(*r);
    }
    if (out.empty()) continue;
    encoded.clear();
    for (const AggrChunk& a : out)
      encoded.push_back({a.min_time, a.max_time, tsdb::kAggrChunkEncoding, a.data});
    STRATA_RETURN_IF_ERROR(writer->AddSeries(labels, encoded));
  }

  tsdb::BlockMeta meta;
  meta.min_time = src.min_time;
  meta.max_time = src.max_time;
  meta.compaction = src.compaction;
  if (meta.compaction.sources.empty()) meta.compaction.sources.push_back(src.ulid);
  meta.thanos = src.thanos.value_or(tsdb::ThanosMeta{});
  meta.thanos->downsample_resolution = resolution;
  meta.thanos->source = "compactor";
  meta.thanos->files.clear();
  return writer->Finish(std::move(meta));
}

}  // namespace strata::downsample
