#include "tsdb/block_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <set>

#include "base/file.h"
#include "base/timestamp.h"
#include "tsdb/chunk_file.h"
#include "tsdb/series_writer.h"

namespace strata::tsdb {

BlockWriter::BlockWriter(std::string parent_dir, BlockWriterOptions opts)
    : parent_dir_(std::move(parent_dir)), opts_(opts) {}

Result<BlockWriter::SeriesState*> BlockWriter::GetOrCreate(const Labels& labels) {
  auto& bucket = by_hash_[labels.Hash()];
  for (SeriesState* s : bucket) {
    if (s->labels == labels) return s;
  }
  if (labels.empty()) return Status::InvalidArgument("empty label set");
  STRATA_RETURN_IF_ERROR(ValidateLabels(labels));
  auto s = std::make_unique<SeriesState>();
  s->labels = labels;
  bucket.push_back(s.get());
  series_.push_back(std::move(s));
  return series_.back().get();
}

void BlockWriter::CutChunk(SeriesState& s) {
  if (!s.open) return;
  s.chunks.push_back(PendingChunk{s.open->Release(), s.open_min, s.last_t});
  s.open.reset();
}

Status BlockWriter::Append(const Labels& labels, int64_t t, double v) {
  STRATA_ASSIGN_OR_RETURN(SeriesState * s, GetOrCreate(labels));
  uint64_t vb = std::bit_cast<uint64_t>(v);
  if (s->has_samples) {
    if (t < s->last_t) {
      return Status::InvalidArgument("out of order sample for " + labels.String() + " at " +
                                     std::to_string(t) + " (last " + std::to_string(s->last_t) +
                                     ")");
    }
    if (t == s->last_t) {
      if (vb == s->last_v_bits) return Status::OK();
      return Status::InvalidArgument("duplicate sample for timestamp " + std::to_string(t) +
                                     " with a different value for " + labels.String());
    }
  }
  if (s->open && s->open->num_samples() >= opts_.samples_per_chunk) CutChunk(*s);
  if (!s->open) {
    s->open = std::make_unique<XorAppender>();
    s->open_min = t;
  }
  s->open->Append(t, v);
  s->last_t = t;
  s->last_v_bits = vb;
  s->has_samples = true;
  if (num_samples_ == 0 || t < min_time_) min_time_ = t;
  if (num_samples_ == 0 || t > max_time_) max_time_ = t;
  num_samples_++;
  return Status::OK();
}

Result<BlockMeta> BlockWriter::Flush(std::optional<ThanosMeta> thanos) {
  if (num_samples_ == 0) return Status::NotFound("no series appended, nothing to write");
  for (auto& s : series_) CutChunk(*s);
  std::sort(series_.begin(), series_.end(),
            [](const auto& a, const auto& b) { return a->labels < b->labels; });

  BlockMeta meta;
  meta.min_time = min_time_;
  meta.max_time = max_time_ + 1;  // exclusive, as Prometheus writes it
  const Ulid ulid = Ulid::New(NowMs());
  meta.compaction.level = 1;
  meta.compaction.sources = {ulid};
  meta.thanos = std::move(thanos);

  std::set<std::string> symbol_set;
  for (const auto& s : series_) {
    for (const Label& l : s->labels) {
      symbol_set.insert(l.name);
      symbol_set.insert(l.value);
    }
  }
  STRATA_ASSIGN_OR_RETURN(
      auto w, SeriesWriter::Create(parent_dir_, ulid, {symbol_set.begin(), symbol_set.end()}));
  std::vector<EncodedChunk> chunks;
  for (auto& s : series_) {
    chunks.clear();
    for (auto& c : s->chunks)
      chunks.push_back(
          EncodedChunk{c.min_time, c.max_time, static_cast<uint8_t>(ChunkEncoding::kXor), c.data});
    STRATA_RETURN_IF_ERROR(w->AddSeries(s->labels, chunks));
    s->chunks.clear();  // release memory as we go
  }
  STRATA_ASSIGN_OR_RETURN(meta, w->Finish(std::move(meta)));

  series_.clear();
  by_hash_.clear();
  num_samples_ = 0;
  return meta;
}

}  // namespace strata::tsdb
