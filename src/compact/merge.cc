#include "compact/merge.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "base/shutdown.h"
#include "base/timestamp.h"
#include "dedup/dedup.h"
#include "storage/memory.h"
#include "tsdb/block.h"
#include "tsdb/series_writer.h"
#include "tsdb/xor_chunk.h"

namespace strata::compact {
namespace {

constexpr int kSamplesPerChunk = 120;

// One source block's walk over its series in label order; `series` is the current one (labels
// and chunk references, read once).
struct Cursor {
  const tsdb::Block* block;
  std::vector<uint32_t> refs;
  size_t pos = 0;
  tsdb::IndexReader::Series series;

  bool done() const { return pos >= refs.size(); }
  Status Load() {
    if (done()) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(series, block->index().ReadSeries(refs[pos]));
    return Status::OK();
  }
};

struct SourceChunk {
  tsdb::EncodedChunk chunk;
  const tsdb::Intervals* deleted;  // may be null
  size_t source;                   // index of the source block, for duplicate resolution
  size_t replica;                  // which HA replica the source block is from (penalty dedup)
};

struct Sample {
  int64_t t;
  double v;
  size_t source;
  size_t replica;
};

// Thanos's offline penalty deduplication: each replica's samples (one per timestamp) become a
// series, and the querier's deduplication picks one replica at a time from them.
Status PenaltyDedup(std::vector<Sample>* samples) {
  storage::MemoryStore replicas;
  int64_t last_t = 0;
  size_t last_replica = SIZE_MAX;
  // By replica, then time; stable, so the first source keeps a timestamp two sources share.
  std::stable_sort(samples->begin(), samples->end(), [](const Sample& a, const Sample& b) {
    return a.replica < b.replica || (a.replica == b.replica && a.t < b.t);
  });
  for (const Sample& s : *samples) {
    if (s.replica == last_replica && s.t == last_t) continue;
    replicas.Add(Labels{{"__replica__", std::to_string(s.replica)}}, s.t, s.v);
    last_replica = s.replica;
    last_t = s.t;
  }
  auto set = dedup::DedupSeriesSet(replicas.Select({INT64_MIN, INT64_MAX, 0, 0, ""}, {}),
                                   {"__replica__"}, "", dedup::Algorithm::kPenalty);
  samples->clear();
  while (set->Next()) {
    auto it = set->At()->Iterator();
    while (it->Next()) samples->push_back({it->t(), it->v(), 0, 0});
    STRATA_RETURN_IF_ERROR(it->status());
  }
  return set->status();
}

bool Deleted(const tsdb::Intervals* deleted, int64_t t) {
  if (deleted == nullptr) return false;
  for (const auto& iv : *deleted)
    if (iv.Contains(t)) return true;
  return false;
}

bool Cut(const tsdb::Intervals* deleted, const tsdb::EncodedChunk& c) {
  if (deleted == nullptr) return false;
  for (const auto& iv : *deleted)
    if (iv.min_time <= c.max_time && iv.max_time >= c.min_time) return true;
  return false;
}

// Decodes, merges and re-encodes the chunks of one series; *storage owns the new chunk bytes.
Status Rewrite(const Labels& labels, std::vector<SourceChunk>& in, bool penalty,
               std::vector<std::string>* storage, std::vector<tsdb::EncodedChunk>* out) {
  std::vector<Sample> samples;
  for (const SourceChunk& sc : in) {
    if (sc.chunk.encoding != static_cast<uint8_t>(tsdb::ChunkEncoding::kXor))
      return Status::Unsupported(
          "series " + labels.String() + ": overlapping or deleted-from chunks of encoding " +
          std::string(tsdb::ChunkEncodingName(sc.chunk.encoding)) + " cannot be merged");
    tsdb::XorIterator it(sc.chunk.data);
    while (it.Next())
      if (!Deleted(sc.deleted, it.t())) samples.push_back({it.t(), it.v(), sc.source, sc.replica});
    if (it.failed()) return it.status().WithContext("series " + labels.String());
  }
  const bool replicas = std::any_of(samples.begin(), samples.end(), [&](const Sample& s) {
    return s.replica != samples[0].replica;
  });
  if (penalty && replicas)
    STRATA_RETURN_IF_ERROR(PenaltyDedup(&samples).WithContext("series " + labels.String()));
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.t < b.t || (a.t == b.t && a.source < b.source);
  });
  storage->clear();
  out->clear();
  std::unique_ptr<tsdb::XorAppender> app;
  int64_t first = 0, last = 0;
  auto flush = [&] {
    storage->push_back(app->Release());
    out->push_back(
        tsdb::EncodedChunk{first, last, static_cast<uint8_t>(tsdb::ChunkEncoding::kXor), {}});
    app.reset();
  };
  for (size_t i = 0; i < samples.size(); i++) {
    if (i > 0 && samples[i].t == samples[i - 1].t) continue;  // one sample per timestamp
    if (!app) {
      app = std::make_unique<tsdb::XorAppender>();
      first = samples[i].t;
    }
    app->Append(samples[i].t, samples[i].v);
    last = samples[i].t;
    if (app->num_samples() >= kSamplesPerChunk) flush();
  }
  if (app) flush();
  // storage may have reallocated while growing: point the chunks at their bytes only now.
  for (size_t i = 0; i < out->size(); i++) (*out)[i].data = (*storage)[i];
  return Status::OK();
}

}  // namespace

Result<tsdb::BlockMeta> CompactBlocks(const std::vector<std::string>& block_dirs,
                                      const std::string& out_parent,
                                      std::optional<tsdb::ThanosMeta> thanos,
                                      const DedupOptions& dedup) {
  if (block_dirs.empty()) return Status::InvalidArgument("no blocks to compact");
  std::vector<std::unique_ptr<tsdb::Block>> blocks;
  for (const auto& dir : block_dirs) {
    auto b = tsdb::Block::Open(dir);
    if (!b.ok()) return Status::Corruption("open block " + dir + ": " + b.status().ToString());
    blocks.push_back(std::move(*b));
  }

  tsdb::BlockMeta meta;
  meta.min_time = kMaxTime;
  meta.max_time = kMinTime;
  std::set<Ulid> sources;
  std::set<std::string> symbols;
  std::vector<Cursor> cursors;
  std::vector<size_t> replica_of;  // per source block
  std::map<std::string, size_t> replica_ids;
  for (const auto& b : blocks) {
    std::string key;
    for (const auto& name : dedup.replica_labels)
      key += std::string(b->meta().thanos ? b->meta().thanos->labels.Get(name) : "") + '\xff';
    replica_of.push_back(replica_ids.try_emplace(key, replica_ids.size()).first->second);
    const tsdb::BlockMeta& m = b->meta();
    meta.min_time = std::min(meta.min_time, m.min_time);
    meta.max_time = std::max(meta.max_time, m.max_time);
    meta.compaction.level = std::max(meta.compaction.level, m.compaction.level + 1);
    sources.insert(m.compaction.sources.begin(), m.compaction.sources.end());
    if (m.compaction.sources.empty()) sources.insert(m.ulid);
    meta.compaction.parents.push_back(tsdb::BlockDesc{m.ulid, m.min_time, m.max_time});
    for (std::string_view s : b->index().symbols()) symbols.emplace(s);
    auto all = b->index().ReadPostings("", "");
    if (!all.ok()) return Status::Corruption("block " + b->dir() + ": " + all.status().ToString());
    Cursor c{b.get(), std::move(*all), 0, {}};
    STRATA_RETURN_IF_ERROR(c.Load().WithContext("block " + b->dir()));
    cursors.push_back(std::move(c));
  }
  meta.compaction.sources.assign(sources.begin(), sources.end());
  meta.thanos = std::move(thanos);

  STRATA_ASSIGN_OR_RETURN(
      auto writer,
      tsdb::SeriesWriter::Create(out_parent, Ulid::New(NowMs()), {symbols.begin(), symbols.end()}));
  std::vector<SourceChunk> in;
  std::vector<tsdb::EncodedChunk> out;
  std::vector<std::string> storage;
  for (size_t n = 0;; n++) {
    if (n % 1024 == 0) {
      // A big compaction takes minutes; a termination signal must not wait for it.
      if (shutdown::Requested())
        return Status(StatusCode::kCancelled, "compaction stopped: shutting down");
      // Series are read in the order their chunks were written, so what lies before a
      // block's next series is done with: without this, every source chunk read stays
      // resident until the end, and peak memory is the size of all sources.
      for (const Cursor& c : cursors) {
        c.block->chunks().DropBefore(c.done() || c.series.chunks.empty() ? UINT64_MAX
                                                                         : c.series.chunks[0].ref);
      }
    }
    const Labels* next = nullptr;
    for (const Cursor& c : cursors)
      if (!c.done() && (next == nullptr || c.series.labels < *next)) next = &c.series.labels;
    if (next == nullptr) break;
    const Labels labels = *next;
    in.clear();
    for (size_t i = 0; i < cursors.size(); i++) {
      Cursor& c = cursors[i];
      if (c.done() || !(c.series.labels == labels)) continue;
      const tsdb::Block& b = *c.block;
      const uint32_t ref = c.refs[c.pos];
      for (const auto& cm : c.series.chunks) {
        auto data = b.chunks().Chunk(cm.ref);
        if (!data.ok())
          return Status::Corruption("block " + b.dir() + ": series " + labels.String() + ": " +
                                    data.status().ToString());
        in.push_back(SourceChunk{{cm.min_time, cm.max_time, data->encoding, data->data, data->crc},
                                 b.tombstones().Get(ref),
                                 i,
                                 replica_of[i]});
      }
      c.pos++;
      STRATA_RETURN_IF_ERROR(c.Load().WithContext("block " + b.dir()));
    }
    std::stable_sort(in.begin(), in.end(), [](const SourceChunk& a, const SourceChunk& b) {
      return a.chunk.min_time < b.chunk.min_time;
    });
    bool rewrite = false;
    for (size_t i = 0; i < in.size() && !rewrite; i++)
      rewrite = Cut(in[i].deleted, in[i].chunk) ||
                (i > 0 && in[i].chunk.min_time <= in[i - 1].chunk.max_time);
    if (rewrite) {
      STRATA_RETURN_IF_ERROR(Rewrite(labels, in, dedup.penalty, &storage, &out));
    } else {
      out.clear();
      for (const auto& sc : in) out.push_back(sc.chunk);
    }
    if (!out.empty()) STRATA_RETURN_IF_ERROR(writer->AddSeries(labels, out));
  }
  return writer->Finish(std::move(meta));
}

}  // namespace strata::compact
