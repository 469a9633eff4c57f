#include "tools/replicate.h"

#include <algorithm>
#include <filesystem>

#include "base/log.h"
#include "block/block.h"

namespace strata::tools {
namespace {
namespace fs = std::filesystem;

// Copies `name` unless the target has it already (by name: block files never change).
Status CopyObject(objstore::Bucket& from, objstore::Bucket& to, const std::string& name,
                  const std::string& work_dir, ReplicateMetrics& metrics) {
  STRATA_ASSIGN_OR_RETURN(bool exists, to.Exists(name));
  if (exists) return Status::OK();
  const std::string tmp = (fs::path(work_dir) / "object").string();
  STRATA_RETURN_IF_ERROR(from.Download(name, tmp));
  Status st = to.UploadFile(name, tmp);
  std::error_code ec;
  fs::remove(tmp, ec);
  STRATA_RETURN_IF_ERROR(st);
  log::Info("object replicated", {{"object", name}});
  metrics.objects_replicated.Inc();
  return Status::OK();
}

Status ReplicateBlock(objstore::Bucket& from, objstore::Bucket& to, const std::string& id,
                      const std::string& work_dir, ReplicateMetrics& metrics) {
  const std::string meta_name = id + "/meta.json";
  STRATA_ASSIGN_OR_RETURN(std::string meta, from.Get(meta_name));
  STRATA_ASSIGN_OR_RETURN(bool there, to.Exists(meta_name));
  if (there) {
    auto target = to.Get(meta_name);
    if (!target.ok()) return target.status().WithContext("get meta file from target bucket");
    if (*target == meta) {
      log::Debug("skipping block as already replicated", {{"block_uuid", id}});
      metrics.already_replicated.Inc();
      return Status::OK();
    }
  }
  std::vector<std::string> chunks;
  STRATA_RETURN_IF_ERROR(from.Iter(
      id + "/chunks/",
      [&](const std::string& n) {
        if (!n.ends_with("/")) chunks.push_back(n);
        return Status::OK();
      },
      false));
  for (const auto& c : chunks) STRATA_RETURN_IF_ERROR(CopyObject(from, to, c, work_dir, metrics));
  STRATA_RETURN_IF_ERROR(CopyObject(from, to, id + "/index", work_dir, metrics));
  STRATA_RETURN_IF_ERROR(to.Upload(meta_name, meta));  // last: the block is whole now
  metrics.blocks_replicated.Inc();
  return Status::OK();
}

}  // namespace

ReplicateMetrics::ReplicateMetrics(Registry& r)
    : already_replicated(
          r.AddCounter("thanos_replicate_blocks_already_replicated_total",
                       "Total number of blocks skipped due to already being replicated.")
              .WithLabelValues({})),
      blocks_replicated(r.AddCounter("thanos_replicate_blocks_replicated_total",
                                     "Total number of blocks replicated.")
                            .WithLabelValues({})),
      objects_replicated(r.AddCounter("thanos_replicate_objects_replicated_total",
                                      "Total number of objects replicated.")
                             .WithLabelValues({})) {}

Status ReplicateOnce(objstore::Bucket& from, objstore::Bucket& to, const ReplicateOptions& opts,
                     ReplicateMetrics& metrics) {
  int64_t mint = std::numeric_limits<int64_t>::min(), maxt = std::numeric_limits<int64_t>::max();
  if (opts.time_range) {
    STRATA_ASSIGN_OR_RETURN(auto range, opts.time_range());
    std::tie(mint, maxt) = range;
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<block::BucketBlock> blocks, block::FetchBlocks(from));
  std::vector<const block::BucketBlock*> chosen;
  for (const auto& b : blocks) {
    if (b.partial) {
      log::Info("block meta not uploaded yet. Skipping.", {{"block_uuid", b.id}});
      continue;
    }
    if (!b.error.empty()) return Status::Corruption("block " + b.id + ": meta.json: " + b.error);
    const auto& m = b.meta;
    if (m.max_time < mint || m.min_time > maxt) continue;
    if (opts.ignore_marked_for_deletion && b.marked_for_deletion) continue;
    if (!m.thanos || m.thanos->labels.empty()) {
      log::Error("filtering block",
                 {{"block_uuid", b.id}, {"reason", "labels should not be empty"}});
      continue;
    }
    if (!opts.ids.empty()) {
      if (std::find(opts.ids.begin(), opts.ids.end(), b.id) == opts.ids.end()) continue;
    } else {
      const Labels& ext = m.thanos->labels;
      if (!std::all_of(opts.matchers.begin(), opts.matchers.end(),
                       [&](const Matcher& x) { return x.Matches(ext.Get(x.name())); })) {
        log::Debug("filtering block", {{"block_uuid", b.id}, {"reason", "labels don't match"}});
        continue;
      }
      const auto& res = opts.resolutions;
      if (std::find(res.begin(), res.end(), m.thanos->downsample_resolution) == res.end()) {
        log::Info("filtering block",
                  {{"block_uuid", b.id},
                   {"reason", "resolution doesn't match allowed resolutions"},
                   {"got_resolution", std::to_string(m.thanos->downsample_resolution)}});
        continue;
      }
      const auto& lv = opts.compaction_levels;
      if (std::find(lv.begin(), lv.end(), m.compaction.level) == lv.end()) {
        log::Info("filtering block",
                  {{"block_uuid", b.id},
                   {"reason", "compaction level doesn't match allowed levels"},
                   {"got_compaction_level", std::to_string(m.compaction.level)}});
        continue;
      }
    }
    log::Info("adding block to be replicated", {{"block_uuid", b.id}});
    chosen.push_back(&b);
  }
  for (const auto& id : opts.ids) {
    if (std::none_of(chosen.begin(), chosen.end(), [&](const auto* b) { return b->id == id; }))
      log::Warn("block given by --id is not replicated: not found or filtered out",
                {{"block", id}});
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const auto* a, const auto* b) {
    return a->meta.min_time < b->meta.min_time;
  });
  for (const auto* b : chosen) {
    Status st = ReplicateBlock(from, to, b->id, opts.work_dir, metrics);
    if (!st.ok()) return st.WithContext("ensure block " + b->id + " is replicated");
  }
  return Status::OK();
}

}  // namespace strata::tools
