#include "compact/compactor.h"

#include "base/executor.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.h"
#include "base/shutdown.h"
#include "base/timestamp.h"
#include "block/block.h"
#include "compact/merge.h"
#include "compact/planner.h"
#include "downsample/aggregate.h"
#include "downsample/downsample_block.h"
#include "tsdb/block.h"

namespace strata::compact {

namespace fs = std::filesystem;

struct BucketCompactor::Metrics {
  explicit Metrics(Registry* r)
      : compactions(r->AddCounter("thanos_compact_group_compactions_total",
                                  "Total number of group compaction attempts that resulted in a "
                                  "new block.",
                                  {"resolution"})),
        compaction_failures(r->AddCounter("thanos_compact_group_compaction_failures_total",
                                          "Total number of failed group compactions.",
                                          {"resolution"})),
        runs_started(r->AddCounter("thanos_compact_group_compaction_runs_started_total",
                                   "Total number of group compaction attempts.", {"resolution"})),
        runs_completed(r->AddCounter("thanos_compact_group_compaction_runs_completed_total",
                                     "Total number of group completed compaction runs. This also "
                                     "includes compactor group runs that resulted with no "
                                     "compaction.",
                                     {"resolution"})),
        marked(r->AddCounter("thanos_compact_blocks_marked_total",
                             "Total number of blocks marked in compactor.", {"marker", "reason"})),
        cleaned(r->AddCounter("thanos_compact_blocks_cleaned_total",
                              "Total number of blocks deleted in compactor.")
                    .WithLabelValues({})),
        cleanup_failures(r->AddCounter("thanos_compact_block_cleanup_failures_total",
                                       "Failures encountered while deleting blocks in compactor.")
                             .WithLabelValues({})),
        partial_deleted(
            r->AddCounter("thanos_compact_aborted_partial_uploads_deletion_attempts_total",
                          "Total number of started deletions of blocks that are assumed aborted "
                          "and only partially uploaded.")
                .WithLabelValues({})),
        iterations(r->AddCounter("thanos_compact_iterations_total",
                                 "Total number of iterations that were executed successfully.")
                       .WithLabelValues({})),
        halted(r->AddGauge("thanos_compact_halted",
                           "Set to 1 if the compactor halted due to an unexpected error.")
                   .WithLabelValues({})),
        todo(r->AddGauge("thanos_compact_todo_compactions", "number of compactions to be done")
                 .WithLabelValues({})),
        todo_blocks(r->AddGauge("thanos_compact_todo_compaction_blocks",
                                "number of blocks planned to be compacted")
                        .WithLabelValues({})),
        todo_downsamples(r->AddGauge("thanos_compact_todo_downsample_blocks",
                                     "number of blocks to be downsampled")
                             .WithLabelValues({})),
        todo_deletions(r->AddGauge("thanos_compact_todo_deletion_blocks",
                                   "number of blocks that have crossed their retention period")
                           .WithLabelValues({})),
        downsamples(r->AddCounter("thanos_compact_downsample_total",
                                  "Total number of downsampling attempts.", {"resolution"})),
        downsample_failures(r->AddCounter("thanos_compact_downsample_failures_total",
                                          "Total number of failed downsampling attempts.",
                                          {"resolution"})),
        downsample_duration(r->AddHistogram("thanos_compact_downsample_duration_seconds",
                                            "Duration of downsample runs", {"resolution"},
                                            {60, 300, 900, 1800, 3600, 7200, 14400})) {}

  Family<Counter>& compactions;
  Family<Counter>& compaction_failures;
  Family<Counter>& runs_started;
  Family<Counter>& runs_completed;
  Family<Counter>& marked;
  Counter& cleaned;
  Counter& cleanup_failures;
  Counter& partial_deleted;
  Counter& iterations;
  Gauge& halted;  // stays 0: this compactor does not halt
  // Set by UpdateProgress (--compact.progress-interval) only, as in Thanos.
  Gauge& todo;
  Gauge& todo_blocks;
  Gauge& todo_downsamples;
  Gauge& todo_deletions;
  Family<Counter>& downsamples;
  Family<Counter>& downsample_failures;
  Family<Histogram>& downsample_duration;
};

struct BucketCompactor::Group {
  Labels labels;
  int64_t resolution = 0;
  std::vector<tsdb::BlockMeta> blocks;
  std::set<Ulid> no_compact;  // in blocks, shaping the plan as in Thanos, never compacted
};

struct BucketCompactor::Survey {
  std::vector<block::BucketBlock> blocks;  // everything listed
  std::vector<std::string> deletable;      // deletion mark older than the delete delay
  std::vector<std::string> abandoned;      // partial uploads older than partial_upload_age_ms
  std::vector<std::string> expired;        // past their resolution's retention
  std::map<std::pair<int64_t, std::string>, Group> groups;  // the rest, by resolution and labels
};

BucketCompactor::BucketCompactor(std::shared_ptr<objstore::Bucket> bucket, CompactorOptions opts,
                                 Registry* metrics)
    : bucket_(std::move(bucket)),
      opts_(std::move(opts)),
      meta_cache_(block::MetaCacheDir(opts_.data_dir)),
      m_(std::make_unique<Metrics>(metrics)) {
  if (opts_.ranges.empty()) opts_.ranges = DefaultRanges();
  m_->halted.Set(0);
}

BucketCompactor::~BucketCompactor() = default;

Result<BucketCompactor::Survey> BucketCompactor::TakeSurvey() {
  Survey s;
  STRATA_ASSIGN_OR_RETURN(s.blocks,
                          block::FetchBlocks(*bucket_, {.concurrency = opts_.meta_fetch_concurrency,
                                                        .cache = &meta_cache_}));
  const int64_t now = NowMs();
  for (const auto& b : s.blocks) {
    if (!b.partial && b.error.empty() && !opts_.selector.Selects(b.meta)) continue;
    auto id = Ulid::Parse(b.id);
    const int64_t uploaded_at = id.ok() ? id->TimestampMs() : now;
    if (b.marked_for_deletion) {
      if (b.deletion_time * 1000 + opts_.delete_delay_ms <= now) s.deletable.push_back(b.id);
      continue;
    }
    if (b.partial) {
      // Younger partial uploads may still be uploading.
      if (uploaded_at + opts_.partial_upload_age_ms <= now) s.abandoned.push_back(b.id);
      continue;
    }
    if (!b.error.empty()) continue;  // RunOnce says so, once a pass
    const bool from_compactor = b.meta.thanos && b.meta.thanos->source == "compactor";
    if (!from_compactor && uploaded_at + opts_.consistency_delay_ms > now) continue;

    const int64_t res = b.meta.thanos ? b.meta.thanos->downsample_resolution : 0;
    const int64_t retention = res == 0        ? opts_.retention_raw_ms
                              : res == 300000 ? opts_.retention_5m_ms
                                              : opts_.retention_1h_ms;
    if (retention > 0 && b.meta.max_time < now - retention) {
      s.expired.push_back(b.id);
      continue;
    }
    Labels labels = b.meta.thanos ? b.meta.thanos->labels : Labels();
    for (const auto& r : opts_.replica_labels) labels = labels.Without(r);
    Group& g = s.groups[{res, labels.String()}];
    g.labels = labels;
    g.resolution = res;
    g.blocks.push_back(b.meta);
    if (b.marked_no_compact) g.no_compact.insert(b.meta.ulid);  // retention still applies to it
  }
  return s;
}

Status BucketCompactor::CleanUp(const Survey& s) {
  std::lock_guard<std::mutex> l(cleanup_mu_);
  Status first_failure;
  auto remove = [&](const std::string& id) {
    if (Status st = block::DeleteBlock(*bucket_, id); !st.ok()) {
      m_->cleanup_failures.Inc();
      log::Error("deleting block failed", {{"id", id}, {"err", st.ToString()}});
      if (first_failure.ok()) first_failure = st;
      return false;
    }
    return true;
  };
  for (const auto& id : s.deletable) {
    log::Info("deleting block marked for deletion", {{"id", id}});
    if (remove(id)) m_->cleaned.Inc();
  }
  for (const auto& id : s.abandoned) {
    log::Info("deleting aborted partial upload", {{"id", id}});
    if (remove(id)) m_->partial_deleted.Inc();
  }
  return first_failure;
}

Status BucketCompactor::ApplyRetention(const Survey& s) {
  Status first_failure;
  for (const auto& id : s.expired) {
    log::Info("marking block past retention for deletion", {{"id", id}});
    if (Status st = block::MarkForDeletion(*bucket_, id, "retention"); !st.ok()) {
      if (first_failure.ok()) first_failure = st;
    } else {
      m_->marked.WithLabelValues({"deletion-mark.json", "retention"}).Inc();
    }
  }
  return first_failure;
}

Status BucketCompactor::CleanUpOnce() {
  STRATA_ASSIGN_OR_RETURN(Survey s, TakeSurvey());
  return CleanUp(s);
}

Status BucketCompactor::RetentionOnce() {
  STRATA_ASSIGN_OR_RETURN(Survey s, TakeSurvey());
  return ApplyRetention(s);
}

Status BucketCompactor::DownsampleOnce() {
  // The second round makes 1h copies of 5m blocks the first one made.
  Status first = DownsamplePass();
  Status second = DownsamplePass();
  return first.ok() ? second : first;
}

Status BucketCompactor::UpdateProgress() {
  STRATA_ASSIGN_OR_RETURN(Survey s, TakeSurvey());
  double compactions = 0, compaction_blocks = 0;
  for (auto& [key, g] : s.groups) {
    const PlanForecast f = ForecastPlans(g.blocks, opts_.ranges, g.no_compact);
    compactions += static_cast<double>(f.compactions);
    compaction_blocks += static_cast<double>(f.blocks);
  }
  m_->todo.Set(compactions);
  m_->todo_blocks.Set(compaction_blocks);
  m_->todo_downsamples.Set(opts_.downsampling ? static_cast<double>(DownsampleTodo(s.blocks).size())
                                              : 0.0);
  m_->todo_deletions.Set(static_cast<double>(s.expired.size()));
  return Status::OK();
}

Status BucketCompactor::RunOnce() {
  STRATA_ASSIGN_OR_RETURN(Survey s, TakeSurvey());
  for (const auto& b : s.blocks) {
    if (!b.partial && !b.error.empty())
      log::Warn("skipping block with unreadable meta.json", {{"id", b.id}, {"err", b.error}});
  }
  Status first_failure;
  auto fail = [&](Status st) {
    if (first_failure.ok()) first_failure = st;
  };
  fail(CleanUp(s));
  fail(ApplyRetention(s));
  auto& groups = s.groups;
  // Groups are independent: up to `concurrency` of them at once, each in its own directory.
  std::vector<Group*> queue;
  for (auto& [key, g] : groups) queue.push_back(&g);
  std::atomic<size_t> next{0};
  std::mutex mu;
  auto worker = [&] {
    for (size_t i = next++; i < queue.size() && !shutdown::Requested(); i = next++) {
      Group& g = *queue[i];
      const std::string work = opts_.data_dir + "/compact/group-" + std::to_string(i);
      if (Status st = CompactGroup(g, work); !st.ok()) {
        log::Error("group compaction failed", {{"group", g.labels.String()},
                                               {"resolution", std::to_string(g.resolution)},
                                               {"err", st.ToString()}});
        std::lock_guard<std::mutex> l(mu);
        fail(st);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, opts_.concurrency); i++) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (shutdown::Requested())
    return Status(StatusCode::kCancelled, "compaction pass stopped: shutting down");
  if (opts_.downsampling) fail(DownsampleOnce());
  if (first_failure.ok()) m_->iterations.Inc();
  return first_failure;
}

Status BucketCompactor::CompactGroup(Group& g, const std::string& work_dir) {
  const std::string res = std::to_string(g.resolution);
  const fs::path work = work_dir;
  std::error_code ec;
  while (true) {
    if (shutdown::Requested()) return Status(StatusCode::kCancelled, "shutting down");
    std::vector<size_t> plan = Plan(g.blocks, opts_.ranges, g.no_compact);
    if (plan.empty()) break;
    m_->runs_started.WithLabelValues({res}).Inc();
    fs::remove_all(work, ec);
    fs::create_directories(work / "out", ec);
    if (ec) return Status::IOError("create " + work.string() + ": " + ec.message());

    // Download (--compact.blocks-fetch-concurrency at a time) and open every source; one that
    // cannot be read is set aside for good.
    std::vector<Status> fetched(plan.size());
    Executor::Shared().ParallelFor(
        plan.size(), static_cast<size_t>(std::max(1, opts_.blocks_fetch_concurrency)),
        [&](size_t i) {
          const std::string id = g.blocks[plan[i]].ulid.String();
          fetched[i] =
              block::DownloadBlock(*bucket_, id, work.string(), opts_.block_files_concurrency);
          if (fetched[i].ok()) fetched[i] = tsdb::Block::Open((work / id).string()).status();
        });
    std::vector<std::string> dirs;
    size_t bad = plan.size();
    for (size_t i = 0; i < plan.size() && bad == plan.size(); i++) {
      const std::string id = g.blocks[plan[i]].ulid.String();
      Status st = fetched[i];
      if (st.code() == StatusCode::kCancelled) return st;
      if (st.ok()) {
        dirs.push_back((work / id).string());
      } else if (st.IsCorruption() || st.code() == StatusCode::kUnsupported) {
        bad = i;
        log::Error("block cannot be compacted, marking it no-compact",
                   {{"id", id}, {"err", st.ToString()}});
        STRATA_RETURN_IF_ERROR(
            block::MarkNoCompact(*bucket_, id, "corrupted-block", st.ToString()));
        m_->marked.WithLabelValues({"no-compact-mark.json", "corrupted-block"}).Inc();
      } else {
        m_->compaction_failures.WithLabelValues({res}).Inc();
        return st.WithContext("download block " + id);
      }
    }
    if (bad != plan.size()) {
      m_->compaction_failures.WithLabelValues({res}).Inc();
      g.no_compact.insert(g.blocks[plan[bad]].ulid);
      continue;
    }

    tsdb::ThanosMeta thanos;
    thanos.labels = g.labels;
    thanos.downsample_resolution = g.resolution;
    thanos.source = "compactor";
    log::Info("compacting blocks",
              {{"group", g.labels.String()}, {"blocks", std::to_string(dirs.size())}});
    const int64_t merge_start = NowMs();
    auto out = CompactBlocks(dirs, (work / "out").string(), thanos,
                             DedupOptions{opts_.replica_labels, opts_.penalty_dedup});
    if (out.status().code() == StatusCode::kCancelled) return out.status();
    if (!out.ok()) {
      m_->compaction_failures.WithLabelValues({res}).Inc();
      // A source whose data turns out corrupt while merging is set aside like an unreadable one.
      bool set_aside = false;
      for (size_t i = 0; i < plan.size() && !set_aside; i++) {
        if (out.status().message().find(dirs[i]) == std::string::npos) continue;
        const std::string id = g.blocks[plan[i]].ulid.String();
        STRATA_RETURN_IF_ERROR(
            block::MarkNoCompact(*bucket_, id, "corrupted-block", out.status().ToString()));
        m_->marked.WithLabelValues({"no-compact-mark.json", "corrupted-block"}).Inc();
        log::Error("block cannot be compacted, marked no-compact",
                   {{"id", id}, {"err", out.status().ToString()}});
        g.no_compact.insert(g.blocks[plan[i]].ulid);
        set_aside = true;
      }
      if (!set_aside) return out.status();
      continue;
    }
    const int64_t merge_ms = NowMs() - merge_start;
    const std::string new_id = out->ulid.String();
    STRATA_RETURN_IF_ERROR(block::UploadBlock(*bucket_, (work / "out" / new_id).string(), nullptr,
                                              opts_.block_files_concurrency, opts_.hash_func)
                               .WithContext("upload " + new_id));
    // Sources go only once the result is complete in the bucket.
    std::vector<tsdb::BlockMeta> rest;
    std::vector<bool> used(g.blocks.size(), false);
    for (size_t idx : plan) used[idx] = true;
    for (size_t i = 0; i < g.blocks.size(); i++) {
      if (!used[i]) {
        rest.push_back(g.blocks[i]);
        continue;
      }
      const std::string id = g.blocks[i].ulid.String();
      STRATA_RETURN_IF_ERROR(
          block::MarkForDeletion(*bucket_, id, "source of compacted block " + new_id));
      m_->marked.WithLabelValues({"deletion-mark.json", "compacted"}).Inc();
    }
    rest.push_back(*out);
    g.blocks = std::move(rest);
    m_->compactions.WithLabelValues({res}).Inc();
    log::Info("compacted blocks", {{"new", new_id},
                                   {"level", std::to_string(out->compaction.level)},
                                   {"series", std::to_string(out->stats.num_series)},
                                   {"samples", std::to_string(out->stats.num_samples)},
                                   {"merge_ms", std::to_string(merge_ms)}});
  }
  fs::remove_all(work, ec);
  m_->runs_completed.WithLabelValues({res}).Inc();
  return Status::OK();
}

std::vector<std::pair<const tsdb::BlockMeta*, int64_t>> BucketCompactor::DownsampleTodo(
    const std::vector<block::BucketBlock>& all) const {
  const int64_t now = NowMs();
  // A block is downsampled already when a block of the next resolution covers its sources.
  std::set<Ulid> sources_5m, sources_1h;
  std::vector<const block::BucketBlock*> usable;
  for (const auto& b : all) {
    if (b.partial || !b.error.empty() || b.marked_for_deletion) continue;
    if (!opts_.selector.Selects(b.meta)) continue;
    auto id = Ulid::Parse(b.id);
    const bool from_compactor = b.meta.thanos && b.meta.thanos->source == "compactor";
    if (!from_compactor && id.ok() && id->TimestampMs() + opts_.consistency_delay_ms > now)
      continue;
    const int64_t res = b.meta.thanos ? b.meta.thanos->downsample_resolution : 0;
    auto& into = res == downsample::kRes5m ? sources_5m : sources_1h;
    if (res != 0) into.insert(b.meta.compaction.sources.begin(), b.meta.compaction.sources.end());
    usable.push_back(&b);
  }
  std::vector<std::pair<const tsdb::BlockMeta*, int64_t>> todo;
  for (const block::BucketBlock* b : usable) {
    const int64_t res = b->meta.thanos ? b->meta.thanos->downsample_resolution : 0;
    if (res != 0 && res != downsample::kRes5m) continue;
    const auto& done = res == 0 ? sources_5m : sources_1h;
    const int64_t min_range = res == 0 ? downsample::kMinRangeFor5m : downsample::kMinRangeFor1h;
    const auto& sources = b->meta.compaction.sources;
    const bool missing = sources.empty()
                             ? !done.count(b->meta.ulid)
                             : std::any_of(sources.begin(), sources.end(),
                                           [&](const Ulid& u) { return !done.count(u); });
    if (!missing || b->meta.max_time - b->meta.min_time < min_range) continue;
    if (b->marked_no_downsample) continue;
    todo.push_back({&b->meta, res == 0 ? downsample::kRes5m : downsample::kRes1h});
  }
  return todo;
}

Status BucketCompactor::DownsamplePass() {
  STRATA_ASSIGN_OR_RETURN(std::vector<block::BucketBlock> all,
                          block::FetchBlocks(*bucket_, {.concurrency = opts_.meta_fetch_concurrency,
                                                        .cache = &meta_cache_}));
  const auto todo = DownsampleTodo(all);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_failure;
  auto worker = [&] {
    for (size_t i = next++; i < todo.size() && !shutdown::Requested(); i = next++) {
      Status st = DownsampleOne(*todo[i].first, todo[i].second);
      std::lock_guard<std::mutex> l(mu);
      if (!st.ok() && first_failure.ok()) first_failure = st;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, opts_.downsample_concurrency); i++) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return first_failure;
}

Status BucketCompactor::DownsampleOne(const tsdb::BlockMeta& meta, int64_t resolution) {
  const std::string id = meta.ulid.String();
  const std::string from = std::to_string(meta.thanos ? meta.thanos->downsample_resolution : 0);
  const fs::path work = fs::path(opts_.data_dir) / "downsample" / id;
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work / "out", ec);
  if (ec) return Status::IOError("create " + work.string() + ": " + ec.message());
  m_->downsamples.WithLabelValues({from}).Inc();
  log::Info("downsampling block", {{"id", id}, {"resolution", std::to_string(resolution)}});
  const int64_t start = NowMs();
  Status st = block::DownloadBlock(*bucket_, id, work.string(), opts_.block_files_concurrency);
  Result<tsdb::BlockMeta> out =
      st.ok()
          ? downsample::DownsampleBlock((work / id).string(), (work / "out").string(), resolution)
          : Result<tsdb::BlockMeta>(st);
  if (out.status().code() == StatusCode::kCancelled) {
    fs::remove_all(work, ec);
    return out.status();
  }
  if (!out.ok()) {
    m_->downsample_failures.WithLabelValues({from}).Inc();
    fs::remove_all(work, ec);
    log::Error("downsampling failed", {{"id", id}, {"err", out.status().ToString()}});
    if (!out.status().IsCorruption() && out.status().code() != StatusCode::kUnsupported)
      return out.status().WithContext("downsample block " + id);
    // Data that cannot be read never will be: set the block aside, keep going.
    m_->marked.WithLabelValues({"no-downsample-mark.json", "corrupted-block"}).Inc();
    return block::MarkNoDownsample(*bucket_, id, "corrupted-block", out.status().ToString());
  }
  const std::string new_id = out->ulid.String();
  st = block::UploadBlock(*bucket_, (work / "out" / new_id).string(), nullptr,
                          opts_.block_files_concurrency, opts_.hash_func);
  fs::remove_all(work, ec);
  if (!st.ok()) {
    m_->downsample_failures.WithLabelValues({from}).Inc();
    return st.WithContext("upload downsampled block " + new_id);
  }
  m_->downsample_duration.WithLabelValues({from}).Observe(static_cast<double>(NowMs() - start) /
                                                          1000);
  log::Info("downsampled block", {{"from", id},
                                  {"to", new_id},
                                  {"resolution", std::to_string(resolution)},
                                  {"series", std::to_string(out->stats.num_series)},
                                  {"ms", std::to_string(NowMs() - start)}});
  return Status::OK();
}

}  // namespace strata::compact
