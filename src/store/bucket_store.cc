#include "store/bucket_store.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <queue>
#include <set>
#include <thread>

#include "base/encoding.h"
#include "base/executor.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "base/ulid.h"
#include "block/block.h"
#include "tsdb/aggr_chunk.h"

namespace strata::store {
namespace fs = std::filesystem;

namespace {

// Runs fn(0..n-1), `parallelism` at a time, on the process's shared executor: a request starts
// no threads of its own.
void ParallelFor(size_t n, size_t parallelism, const std::function<void(size_t)>& fn) {
  Executor::Shared().ParallelFor(n, std::max<size_t>(1, parallelism), fn);
}

// Samples in a chunk as its header states (XOR: the first two bytes), for the sample limit.
uint64_t ChunkSamples(const storeapi::RawChunk& c) {
  if (c.encoding == tsdb::kAggrChunkEncoding) return tsdb::AggrChunkSamples(c.data);
  return c.data.size() >= 2 ? LoadBe16(c.data.data()) : 0;
}

// Label calls read whichever resolution covers a range with the fewest blocks: every
// resolution holds the same series.
constexpr int64_t kAnyResolution = INT64_MAX;

// Thanos's resolutions, coarsest first.
constexpr int64_t kResolutions[] = {3600 * 1000, 300 * 1000, 0};
constexpr size_t kNumResolutions = std::size(kResolutions);
using BlocksByResolution = std::array<std::vector<std::shared_ptr<BucketBlock>>, kNumResolutions>;

// Thanos's bucketBlockSet.getFor over one external label set: the blocks covering [mint, maxt]
// at resolution `level`, the gaps between them filled with blocks of the next finer one.
void PickBlocks(const BlocksByResolution& set, size_t level, int64_t mint, int64_t maxt,
                std::vector<std::shared_ptr<BucketBlock>>* out) {
  if (mint > maxt) return;
  const bool finer = level + 1 < kNumResolutions;
  int64_t start = mint;
  for (const auto& b : set[level]) {  // sorted by min time
    if (b->meta().max_time <= mint) continue;
    if (b->meta().min_time > maxt) break;
    if (finer) PickBlocks(set, level + 1, start, b->meta().min_time - 1, out);
    out->push_back(b);
    start = std::max(start, b->meta().max_time);
  }
  if (finer) PickBlocks(set, level + 1, start, maxt, out);
}

std::vector<double> CountBuckets() { return {1, 10, 100, 1000, 10000, 100000, 1e6, 1e7}; }
std::vector<double> SizeBuckets() {
  return {1024, 16384, 262144, 1 << 20, 16 << 20, 256 << 20, 1 << 30};
}

}  // namespace

struct BucketStore::Metrics {
  explicit Metrics(Registry& r)
      : block_loads(r.AddCounter("thanos_bucket_store_block_loads_total",
                                 "Total number of remote block loading attempts.")
                        .WithLabelValues({})),
        block_load_failures(r.AddCounter("thanos_bucket_store_block_load_failures_total",
                                         "Total number of failed remote block loading attempts.")
                                .WithLabelValues({})),
        block_drops(r.AddCounter("thanos_bucket_store_block_drops_total",
                                 "Total number of local blocks that were dropped.")
                        .WithLabelValues({})),
        blocks_loaded(
            r.AddGauge("thanos_bucket_store_blocks_loaded", "Number of currently loaded blocks.")
                .WithLabelValues({})),
        unloads(r.AddCounter("thanos_bucket_store_indexheader_lazy_unload_total",
                             "Total number of index-header lazy unload operations.")
                    .WithLabelValues({})),
        fetch_duration(
            r.AddHistogram("thanos_bucket_store_series_fetch_duration_seconds",
                           "The time it takes to fetch series to respond to a request sent to a "
                           "store gateway. It includes both the time to fetch it from the cache "
                           "and from storage in case of cache misses.",
                           {}, {0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120})
                .WithLabelValues({})),
        blocks_queried(r.AddHistogram("thanos_bucket_store_series_blocks_queried",
                                      "Number of blocks in a bucket store that were touched to "
                                      "satisfy a query.",
                                      {}, CountBuckets())
                           .WithLabelValues({})),
        result_series(r.AddHistogram("thanos_bucket_store_series_result_series",
                                     "Number of series observed in the final result of a query.",
                                     {}, CountBuckets())
                          .WithLabelValues({})),
        data_touched(r.AddHistogram(
            "thanos_bucket_store_series_data_touched",
            "Number of items of a data type touched to fulfill a single Store API series request.",
            {"data_type"}, CountBuckets())),
        data_fetched(r.AddHistogram("thanos_bucket_store_series_data_fetched",
                                    "Number of items of a data type retrieved to fulfill a single "
                                    "Store API series request.",
                                    {"data_type"}, CountBuckets())),
        data_size_fetched(r.AddHistogram("thanos_bucket_store_series_data_size_fetched_bytes",
                                         "Size of all items of a data type fetched to fulfill a "
                                         "single Store API series request.",
                                         {"data_type"}, SizeBuckets())),
        dropped(r.AddCounter("thanos_bucket_store_queries_dropped_total",
                             "Number of queries that were dropped due to the limit.", {"reason"})),
        lazy_applied(r.AddCounter("thanos_bucket_store_lazy_expanded_postings_total",
                                  "Total number of times when lazy expanded posting "
                                  "optimization applies.")
                         .WithLabelValues({})),
        lazy_postings_bytes(
            r.AddCounter("thanos_bucket_store_lazy_expanded_posting_size_bytes_total",
                         "Total number of lazy posting group size in bytes.")
                .WithLabelValues({})),
        lazy_overfetched_bytes(
            r.AddCounter(
                 "thanos_bucket_store_lazy_expanded_posting_series_overfetched_size_bytes_total",
                 "Total number of series size in bytes overfetched due to posting lazy expansion.")
                .WithLabelValues({})),
        read_failures(r.AddCounter("strata_bucket_store_block_read_failures_total",
                                   "Series requests in which a block's data could not be read "
                                   "(the block was skipped with a warning).")
                          .WithLabelValues({})) {}

  void Observe(const FetchStats& s) {
    auto obs = [&](Family<Histogram>& f, const char* type, uint64_t v) {
      f.WithLabelValues({type}).Observe(static_cast<double>(v));
    };
    obs(data_touched, "postings", s.postings_touched);
    obs(data_touched, "series", s.series_touched);
    obs(data_touched, "chunks", s.chunks_touched);
    obs(data_fetched, "postings", s.postings_fetched);
    obs(data_fetched, "series", s.series_fetched);
    obs(data_fetched, "chunks", s.chunks_fetched);
    obs(data_size_fetched, "postings", s.postings_bytes);
    obs(data_size_fetched, "series", s.series_bytes);
    obs(data_size_fetched, "chunks", s.chunks_bytes);
    lazy_applied.Inc(static_cast<double>(s.lazy_applied));
    lazy_postings_bytes.Inc(static_cast<double>(s.lazy_postings_bytes));
    lazy_overfetched_bytes.Inc(static_cast<double>(s.lazy_overfetched_bytes));
  }

  Counter& block_loads;
  Counter& block_load_failures;
  Counter& block_drops;
  Gauge& blocks_loaded;
  Counter& unloads;
  Histogram& fetch_duration;
  Histogram& blocks_queried;
  Histogram& result_series;
  Family<Histogram>& data_touched;
  Family<Histogram>& data_fetched;
  Family<Histogram>& data_size_fetched;
  Family<Counter>& dropped;
  Counter& lazy_applied;
  Counter& lazy_postings_bytes;
  Counter& lazy_overfetched_bytes;
  Counter& read_failures;
};

BucketStore::BucketStore(std::shared_ptr<objstore::Bucket> bucket, BucketStoreOptions opts,
                         std::shared_ptr<IndexCache> cache, Registry* metrics)
    : bucket_(std::move(bucket)),
      opts_(std::move(opts)),
      meta_cache_(block::MetaCacheDir(opts_.data_dir)),
      cache_(std::move(cache)),
      metrics_(std::make_shared<Metrics>(*metrics)),
      selector_(opts_.selector) {
  // Index cache keys are SHA-256 digests (OpenSSL), computed on the shared executor's
  // long-lived threads. OpenSSL's one-time initialisation (configuration included) runs here, on
  // this thread, which cleans it up at exit; on a worker its state would outlive every check.
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_DIGESTS, nullptr);
}

void BucketStore::SetSelector(block::BlockSelector selector) {
  std::lock_guard<std::mutex> l(selector_mu_);
  selector_ = std::move(selector);
}

size_t BucketStore::NumBlocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return blocks_.size();
}

std::vector<std::shared_ptr<BucketBlock>> BucketStore::Blocks() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::shared_ptr<BucketBlock>> out;
  for (const auto& [id, b] : blocks_) out.push_back(b);
  return out;
}

bool BucketStore::Selected(const tsdb::BlockMeta& meta, int64_t deletion_time, bool marked) const {
  {
    std::lock_guard<std::mutex> l(selector_mu_);
    if (!selector_.Selects(meta)) return false;
  }
  const int64_t now = NowMs();
  if (marked && now - deletion_time * 1000 > opts_.ignore_deletion_marks_delay_ms) return false;
  const std::string source = meta.thanos ? meta.thanos->source : "";
  if (opts_.consistency_delay_ms > 0 &&
      now - meta.ulid.TimestampMs() < opts_.consistency_delay_ms && source != "compactor" &&
      source != "compactor.repair" && source != "bucket.repair") {
    return false;
  }
  return true;
}

Result<std::vector<std::string>> BucketStore::Sync() {
  std::vector<std::string> warnings;
  STRATA_ASSIGN_OR_RETURN(
      std::vector<block::BucketBlock> remote,
      block::FetchBlocks(*bucket_, {opts_.meta_fetch_concurrency, &meta_cache_}));
  std::error_code ec;
  fs::create_directories(opts_.data_dir, ec);
  if (ec) return Status::IOError("create " + opts_.data_dir + ": " + ec.message());

  std::map<std::string, const block::BucketBlock*> wanted;
  for (const auto& b : remote) {
    if (b.partial) continue;  // still uploading, or abandoned (the compactor cleans up)
    if (!b.error.empty()) {
      warnings.push_back("block " + b.id + ": " + b.error);
      continue;
    }
    if (Selected(b.meta, b.deletion_time, b.marked_for_deletion)) wanted[b.id] = &b;
  }
  std::map<std::string, std::shared_ptr<BucketBlock>> next;
  std::vector<const block::BucketBlock*> to_load;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [id, b] : wanted) {
      auto it = blocks_.find(id);
      if (it != blocks_.end()) {
        next[id] = it->second;
      } else {
        to_load.push_back(b);
      }
    }
  }
  std::vector<Result<std::shared_ptr<BucketBlock>>> loaded(to_load.size(),
                                                           Status::Internal("not loaded"));
  ParallelFor(to_load.size(), static_cast<size_t>(opts_.block_sync_concurrency), [&](size_t i) {
    if (shutdown::Requested()) return;
    loaded[i] = BucketBlock::Load(bucket_, to_load[i]->meta,
                                  (fs::path(opts_.data_dir) / to_load[i]->id).string(),
                                  cache_.get(), opts_.lazy_index_header_download);
  });
  // A sync that a shutdown interrupted changes nothing.
  if (shutdown::Requested())
    return Status(StatusCode::kCancelled, "bucket sync stopped: shutting down");
  for (size_t i = 0; i < to_load.size(); i++) {
    metrics_->block_loads.Inc();
    if (!loaded[i].ok()) {
      metrics_->block_load_failures.Inc();
      warnings.push_back("load block " + to_load[i]->id + ": " + loaded[i].status().ToString());
      continue;
    }
    next[to_load[i]->id] = std::move(*loaded[i]);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [id, b] : blocks_) {
      if (!next.contains(id)) metrics_->block_drops.Inc();
    }
    blocks_ = next;
    metrics_->blocks_loaded.Set(static_cast<double>(blocks_.size()));
  }
  // Local state of blocks no longer served (index-headers) goes; other files are left alone.
  for (const auto& e : fs::directory_iterator(opts_.data_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (Ulid::IsValid(name) && !next.contains(name)) fs::remove_all(e.path(), ec);
  }
  return warnings;
}

void BucketStore::UnloadIdle() {
  if (opts_.index_header_idle_ms <= 0) return;
  const int64_t now = NowMs();
  for (const auto& b : Blocks()) {
    if (b->UnloadIfIdle(now, opts_.index_header_idle_ms)) metrics_->unloads.Inc();
  }
}

std::vector<std::shared_ptr<BucketBlock>> BucketStore::BlocksFor(int64_t mint, int64_t maxt,
                                                                 int64_t max_resolution) const {
  std::map<Labels, BlocksByResolution> sets;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [id, b] : blocks_) {
      if (b->meta().max_time <= mint || b->meta().min_time > maxt) continue;
      const int64_t res = b->meta().thanos ? b->meta().thanos->downsample_resolution : 0;
      for (size_t i = 0; i < kNumResolutions; i++)
        if (kResolutions[i] == res) sets[b->external_labels()][i].push_back(b);
    }
  }
  size_t level = 0;
  while (level + 1 < kNumResolutions && kResolutions[level] > max_resolution) level++;
  std::vector<std::shared_ptr<BucketBlock>> out;
  for (auto& [labels, set] : sets) {
    for (auto& blocks : set) {
      std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
        return a->meta().min_time < b->meta().min_time;
      });
    }
    PickBlocks(set, level, mint, maxt, &out);
  }
  return out;
}

storeapi::SourceInfo BucketStore::Info() const {
  storeapi::SourceInfo info;
  std::set<Labels> sets;
  std::lock_guard<std::mutex> l(mu_);
  info.min_time = blocks_.empty() ? 0 : INT64_MAX;
  info.max_time = blocks_.empty() ? 0 : INT64_MIN;
  for (const auto& [id, b] : blocks_) {
    sets.insert(b->external_labels());
    info.min_time = std::min(info.min_time, b->meta().min_time);
    info.max_time = std::max(info.max_time, b->meta().max_time);
  }
  info.label_sets.assign(sets.begin(), sets.end());
  return info;
}

Status BucketStore::Series(const storeapi::SeriesQuery& q, const storeapi::SeriesFn& fn,
                           const storeapi::WarningFn& warn) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<BucketBlock>> blocks;
  std::vector<Matchers> rests;
  for (auto& b : BlocksFor(q.mint, q.maxt, q.max_resolution_ms)) {
    Matchers rest;
    if (!storeapi::MatchExternalLabels(b->external_labels(), q.matchers, &rest)) continue;
    blocks.push_back(std::move(b));
    rests.push_back(std::move(rest));
  }
  metrics_->blocks_queried.Observe(static_cast<double>(blocks.size()));

  // Resolve series in every block in parallel.
  FetchStats stats;
  std::vector<Result<std::vector<BlockSeries>>> selected(blocks.size(),
                                                         Status::Internal("not selected"));
  ParallelFor(blocks.size(), 16, [&](size_t i) {
    selected[i] = blocks[i]->Select(rests[i], q.mint, q.maxt, q.without_labels, &stats,
                                    opts_.lazy_expanded_postings);
  });
  std::vector<std::vector<BlockSeries>> series(blocks.size());
  std::vector<bool> failed(blocks.size(), false);
  uint64_t total = 0;
  auto block_failed = [&](size_t i, const Status& st) -> Status {
    // Corrupt data is this block's problem: warn and serve the rest. Anything else (the bucket
    // is unreachable, the call was cancelled) fails the call, for the querier to decide.
    if (st.code() != StatusCode::kCorruption) return st;
    metrics_->read_failures.Inc();
    log::Warn("skipping unreadable block in a series request",
              {{"block", blocks[i]->id()}, {"err", st.message()}});
    if (warn) warn(st.message());
    failed[i] = true;
    return Status::OK();
  };
  for (size_t i = 0; i < blocks.size(); i++) {
    if (!selected[i].ok()) {
      STRATA_RETURN_IF_ERROR(block_failed(i, selected[i].status()));
      continue;
    }
    series[i] = std::move(*selected[i]);
    total += series[i].size();
  }
  if (opts_.max_series > 0 && total > opts_.max_series) {
    metrics_->dropped.WithLabelValues({"series"}).Inc();
    return Status(StatusCode::kResourceExhausted,
                  "exceeded series limit: limit " + std::to_string(opts_.max_series) +
                      " violated (got " + std::to_string(total) + ")");
  }
  metrics_->fetch_duration.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  auto check_downloaded = [&]() -> Status {
    const uint64_t got = stats.postings_bytes + stats.series_bytes + stats.chunks_bytes;
    if (opts_.max_downloaded_bytes == 0 || got <= opts_.max_downloaded_bytes) return Status::OK();
    metrics_->dropped.WithLabelValues({"bytes"}).Inc();
    return Status(StatusCode::kResourceExhausted,
                  "exceeded bytes limit while fetching series: limit " +
                      std::to_string(opts_.max_downloaded_bytes) + " violated (got " +
                      std::to_string(got) + ")");
  };
  STRATA_RETURN_IF_ERROR(check_downloaded());

  // Merge the blocks' sorted lists; equal label sets from several blocks become one series.
  using Cursor = std::pair<size_t, size_t>;  // block, position
  auto greater = [&](const Cursor& a, const Cursor& b) {
    const Labels& la = series[a.first][a.second].labels;
    const Labels& lb = series[b.first][b.second].labels;
    return la != lb ? lb < la : b.first < a.first;
  };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < blocks.size(); i++) {
    if (!series[i].empty()) heap.push({i, 0});
  }
  uint64_t samples = 0, emitted = 0;
  std::vector<std::vector<Cursor>> batch;
  std::vector<storeapi::RawChunk> chunks;
  while (!heap.empty()) {
    // Take the next batch of output series, then load their chunks block by block.
    batch.clear();
    std::vector<std::pair<size_t, size_t>> ranges(blocks.size(), {SIZE_MAX, 0});
    while (!heap.empty() && batch.size() < opts_.series_batch_size) {
      std::vector<Cursor> group;
      const Cursor first = heap.top();
      while (!heap.empty() && series[heap.top().first][heap.top().second].labels ==
                                  series[first.first][first.second].labels) {
        Cursor c = heap.top();
        heap.pop();
        group.push_back(c);
        ranges[c.first].first = std::min(ranges[c.first].first, c.second);
        ranges[c.first].second = std::max(ranges[c.first].second, c.second + 1);
        if (c.second + 1 < series[c.first].size()) heap.push({c.first, c.second + 1});
      }
      batch.push_back(std::move(group));
    }
    std::vector<ChunkBuffers> buffers(blocks.size());
    uint64_t batch_bytes = 0;
    if (!q.skip_chunks) {
      std::vector<size_t> involved;
      for (size_t i = 0; i < blocks.size(); i++) {
        if (ranges[i].first != SIZE_MAX && !failed[i]) involved.push_back(i);
      }
      std::vector<Status> loaded(involved.size());
      ParallelFor(involved.size(), 16, [&](size_t k) {
        const size_t i = involved[k];
        loaded[k] = blocks[i]->LoadChunks(series[i], ranges[i].first, ranges[i].second, &buffers[i],
                                          &stats);
      });
      for (size_t k = 0; k < involved.size(); k++) {
        if (!loaded[k].ok()) STRATA_RETURN_IF_ERROR(block_failed(involved[k], loaded[k]));
      }
      STRATA_RETURN_IF_ERROR(check_downloaded());
      for (const auto& bs : buffers) {
        for (const auto& b : bs) batch_bytes += b.size();
      }
      if (chunk_pool_used_.fetch_add(batch_bytes) + batch_bytes > opts_.chunk_pool_bytes) {
        chunk_pool_used_ -= batch_bytes;
        metrics_->dropped.WithLabelValues({"chunk_pool"}).Inc();
        return Status(StatusCode::kResourceExhausted,
                      "chunk pool exhausted: this request needs " + std::to_string(batch_bytes) +
                          " bytes of chunks beyond --chunk-pool-size=" +
                          std::to_string(opts_.chunk_pool_bytes));
      }
    }
    Status st;
    for (const auto& group : batch) {
      chunks.clear();
      bool any = false;
      for (const Cursor& c : group) {
        if (failed[c.first]) continue;
        any = true;
        const BlockSeries& s = series[c.first][c.second];
        for (const auto& ch : s.chunks) {
          chunks.push_back(ch);
          samples += ChunkSamples(ch);
        }
      }
      if (!any) continue;
      if (group.size() > 1) {
        std::stable_sort(chunks.begin(), chunks.end(),
                         [](const auto& a, const auto& b) { return a.min_time < b.min_time; });
      }
      if (opts_.max_samples > 0 && samples > opts_.max_samples) {
        metrics_->dropped.WithLabelValues({"samples"}).Inc();
        st = Status(StatusCode::kResourceExhausted,
                    "exceeded samples limit: limit " + std::to_string(opts_.max_samples) +
                        " violated (got " + std::to_string(samples) + ")");
        break;
      }
      st = fn(series[group[0].first][group[0].second].labels, chunks);
      if (!st.ok()) break;
      emitted++;
    }
    // The batch's chunk views die with its buffers.
    for (const auto& group : batch) {
      for (const Cursor& c : group) series[c.first][c.second].chunks.clear();
    }
    chunk_pool_used_ -= batch_bytes;
    STRATA_RETURN_IF_ERROR(st);
  }
  metrics_->Observe(stats);
  metrics_->result_series.Observe(static_cast<double>(emitted));
  return Status::OK();
}

Result<std::vector<std::string>> BucketStore::LabelNames(const Matchers& matchers, int64_t mint,
                                                         int64_t maxt) {
  std::set<std::string> names;
  if (matchers.empty()) {
    for (const auto& b : BlocksFor(mint, maxt, kAnyResolution)) {
      STRATA_ASSIGN_OR_RETURN(std::vector<std::string> ns, b->LabelNames());
      names.insert(ns.begin(), ns.end());
      for (const auto& e : b->external_labels()) names.insert(e.name);
    }
  } else {
    STRATA_RETURN_IF_ERROR(Series({matchers, mint, maxt, kAnyResolution, true, {}},
                                  [&](const Labels& l, const std::vector<storeapi::RawChunk>&) {
                                    for (const auto& x : l) names.insert(x.name);
                                    return Status::OK();
                                  },
                                  {}));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> BucketStore::LabelValues(const std::string& name,
                                                          const Matchers& matchers, int64_t mint,
                                                          int64_t maxt) {
  std::set<std::string> values;
  if (matchers.empty()) {
    for (const auto& b : BlocksFor(mint, maxt, kAnyResolution)) {
      if (b->external_labels().Has(name)) {
        values.emplace(b->external_labels().Get(name));
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(std::vector<std::string> vs, b->LabelValues(name));
      values.insert(vs.begin(), vs.end());
    }
  } else {
    STRATA_RETURN_IF_ERROR(Series({matchers, mint, maxt, kAnyResolution, true, {}},
                                  [&](const Labels& l, const std::vector<storeapi::RawChunk>&) {
                                    if (l.Has(name)) values.emplace(l.Get(name));
                                    return Status::OK();
                                  },
                                  {}));
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace strata::store
