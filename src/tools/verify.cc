#include "tools/verify.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "base/go_format.h"
#include "base/log.h"
#include "base/timestamp.h"
#include "base/ulid.h"
#include "block/block.h"
#include "tsdb/block.h"
#include "tsdb/index_reader.h"
#include "tsdb/series_writer.h"

namespace strata::tools {
namespace {
namespace fs = std::filesystem;

const tsdb::BlockMeta* Meta(const block::BucketBlock& b) { return &b.meta; }

// Blocks of one stream: the same resolution and external labels (Thanos's group key).
std::string GroupKey(const tsdb::BlockMeta& m) {
  const int64_t res = m.thanos ? m.thanos->downsample_resolution : 0;
  return std::to_string(res) + "@" + (m.thanos ? m.thanos->labels.String() : "{}");
}

struct Overlap {
  int64_t min = 0, max = 0;  // the range all of them share
  std::vector<const tsdb::BlockMeta*> blocks;
};

// Prometheus's OverlappingBlocks: blocks sorted by start; runs of blocks that overlap what is
// still open form one group each.
std::vector<Overlap> OverlappingBlocks(std::vector<const tsdb::BlockMeta*> bm) {
  std::stable_sort(bm.begin(), bm.end(),
                   [](const auto* a, const auto* b) { return a->min_time < b->min_time; });
  std::vector<std::vector<const tsdb::BlockMeta*>> groups;
  if (bm.size() <= 1) return {};
  std::vector<const tsdb::BlockMeta*> pending = {bm[0]};
  bool continuous = true;
  for (size_t i = 1; i < bm.size(); i++) {
    std::vector<const tsdb::BlockMeta*> still;
    for (const auto* p : pending) {
      if (bm[i]->min_time >= p->max_time) {
        continuous = false;
        continue;
      }
      still.push_back(p);
    }
    pending = still;
    pending.push_back(bm[i]);
    if (still.empty()) continue;
    if (continuous && !groups.empty()) {
      groups.back().push_back(bm[i]);
      continue;
    }
    still.push_back(bm[i]);
    groups.push_back(std::move(still));
    continuous = true;
  }
  std::vector<Overlap> out;
  for (auto& g : groups) {
    Overlap o{0, std::numeric_limits<int64_t>::max(), std::move(g)};
    for (const auto* b : o.blocks) {
      o.max = std::min(o.max, b->max_time);
      o.min = std::max(o.min, b->min_time);
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string SecondsDuration(int64_t ms) { return GoFormatDuration(ms / 1000 * 1000); }

std::string Describe(const tsdb::BlockMeta& b) {
  return "<ulid: " + b.ulid.String() + ", mint: " + std::to_string(b.min_time) +
         ", maxt: " + std::to_string(b.max_time) +
         ", range: " + SecondsDuration(b.max_time - b.min_time) + ">";
}

std::string Describe(const Overlap& o) {
  std::string s = "[mint: " + std::to_string(o.min) + ", maxt: " + std::to_string(o.max) +
                  ", range: " + SecondsDuration(o.max - o.min) +
                  ", blocks: " + std::to_string(o.blocks.size()) + "]: ";
  for (size_t i = 0; i < o.blocks.size(); i++) s += (i ? ", " : "") + Describe(*o.blocks[i]);
  return s;
}

// Overlaps per stream, the streams in key order.
std::map<std::string, std::vector<Overlap>> OverlapsByGroup(
    const std::vector<block::BucketBlock>& blocks) {
  std::map<std::string, std::vector<const tsdb::BlockMeta*>> groups;
  for (const auto& b : blocks) groups[GroupKey(b.meta)].push_back(Meta(b));
  std::map<std::string, std::vector<Overlap>> out;
  for (auto& [key, metas] : groups) {
    auto o = OverlappingBlocks(metas);
    if (!o.empty()) out[key] = std::move(o);
  }
  return out;
}

// Refuses to back a block up over a copy already in the backup bucket.
Status CheckBackupFree(objstore::Bucket& backup, const std::string& id) {
  bool exists = false;
  STRATA_RETURN_IF_ERROR(backup.Iter(
      id + "/",
      [&](const std::string&) {
        exists = true;
        return Status::OK();
      },
      true));
  if (!exists) return Status::OK();
  return Status::AlreadyExists(id +
                               " dir seems to exists in backup bucket. Remove this block manually "
                               "if you are sure it is safe to do");
}

// Copies the block to the backup bucket (refusing when it is there already), then deletes it
// or marks it for deletion.
Status BackupAndDelete(objstore::Bucket& bucket, objstore::Bucket& backup, const std::string& id,
                       const std::string& local_dir, const VerifyOptions& opts) {
  STRATA_RETURN_IF_ERROR(CheckBackupFree(backup, id));
  log::Info("Uploading block to backup bucket", {{"id", id}});
  STRATA_RETURN_IF_ERROR(block::UploadBlock(backup, local_dir));
  if (opts.delete_delay_ms == 0) {
    log::Info("Deleting block", {{"id", id}});
    return block::DeleteBlock(bucket, id);
  }
  log::Info("Marking block as deleted", {{"id", id}});
  return block::MarkForDeletion(bucket, id, "manual verify-repair");
}

// Thanos's block repair: labels sorted within each series; chunks sorted, without those wholly
// outside the block, those of tsdb issue 347 and exact duplicates; series without chunks and
// repeated series dropped. The new block replaces the old one (source bucket.repair).
Result<std::string> RepairBlock(const std::string& dir, const std::string& parent) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::Block> b, tsdb::Block::Open(dir));
  const auto& meta = b->meta();
  STRATA_ASSIGN_OR_RETURN(tsdb::Postings all, b->index().ReadPostings("", ""));
  struct Fixed {
    Labels labels;
    std::vector<tsdb::EncodedChunk> chunks;
  };
  std::vector<Fixed> series;
  for (uint32_t ref : all) {
    STRATA_ASSIGN_OR_RETURN(auto s, b->index().ReadSeries(ref));
    std::vector<Label> ls(s.labels.begin(), s.labels.end());
    Fixed f{Labels::FromUnsorted(std::move(ls)), {}};
    std::stable_sort(s.chunks.begin(), s.chunks.end(),
                     [](const auto& x, const auto& y) { return x.min_time < y.min_time; });
    for (const auto& c : s.chunks) {
      if (c.min_time > meta.max_time || c.max_time < meta.min_time) continue;  // outside
      if (c.min_time == meta.max_time) continue;                               // issue 347
      STRATA_ASSIGN_OR_RETURN(tsdb::ChunkData d, b->chunks().Chunk(c.ref));
      if (!f.chunks.empty()) {
        const auto& prev = f.chunks.back();
        if (c.min_time <= prev.max_time) {
          if (c.min_time == prev.min_time && c.max_time == prev.max_time && d.data == prev.data)
            continue;  // an exact duplicate
          return Status::Corruption("non-sequential chunks not equal in series " +
                                    f.labels.String() + " of block " + meta.ulid.String());
        }
      }
      f.chunks.push_back({c.min_time, c.max_time, d.encoding, d.data, d.crc});
    }
    if (!f.chunks.empty()) series.push_back(std::move(f));
  }
  std::stable_sort(series.begin(), series.end(),
                   [](const auto& x, const auto& y) { return x.labels < y.labels; });
  std::vector<std::string> symbols;
  for (const auto& s : series) {
    for (const auto& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  const Ulid id = Ulid::New(NowMs());
  STRATA_ASSIGN_OR_RETURN(auto w, tsdb::SeriesWriter::Create(parent, id, symbols));
  for (size_t i = 0; i < series.size(); i++) {
    if (i > 0 && series[i].labels == series[i - 1].labels) {
      log::Warn("dropping duplicate series in tsdb block found",
                {{"labelset", series[i].labels.String()}});
      continue;
    }
    STRATA_RETURN_IF_ERROR(w->AddSeries(series[i].labels, series[i].chunks));
  }
  tsdb::BlockMeta m = meta;
  if (!m.thanos) m.thanos.emplace();
  m.thanos->source = "bucket.repair";
  STRATA_RETURN_IF_ERROR(w->Finish(m).status());
  return id.String();
}

Status IndexKnownIssues(objstore::Bucket& bucket, objstore::Bucket* backup,
                        const std::vector<block::BucketBlock>& blocks, const VerifyOptions& opts) {
  log::Info("started verifying issue", {{"with-repair", opts.repair ? "true" : "false"}});
  for (const auto& b : blocks) {
    if (!opts.ids.empty() && std::find(opts.ids.begin(), opts.ids.end(), b.id) == opts.ids.end())
      continue;
    const fs::path dir = fs::path(opts.work_dir) / ("index-issue-block-" + b.id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("create " + dir.string() + ": " + ec.message());
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(p, ec);
      }
    } cleanup{dir};
    const std::string index = (dir / "index").string();
    if (Status st = bucket.Download(b.id + "/index", index); !st.ok()) {
      log::Warn(
          "detected issue",
          {{"id", b.id}, {"err", "download index file " + b.id + "/index: " + st.ToString()}});
      continue;
    }
    auto health = GatherIndexHealth(index, b.meta.min_time, b.meta.max_time);
    const std::string issues =
        health.ok() ? health->Issues()
                    : "gather index issues " + b.id + ": " + health.status().ToString();
    if (issues.empty()) {
      log::Debug("no issue", {{"id", b.id}});
      continue;
    }
    log::Warn("detected issue", {{"id", b.id}, {"err", issues}});
    if (!opts.repair || !health.ok()) continue;
    if (b.meta.thanos && b.meta.thanos->downsample_resolution > 0) {
      log::Warn("downsampled blocks are not repaired", {{"id", b.id}});
      continue;
    }
    if (!health->Repairable())
      log::Warn("detected issues are not all repairable; repairing what can be", {{"id", b.id}});
    // Before anything changes: a repair whose backup is refused would leave two blocks.
    STRATA_RETURN_IF_ERROR(CheckBackupFree(*backup, b.id));
    log::Info("downloading block for repair", {{"id", b.id}});
    STRATA_RETURN_IF_ERROR(block::DownloadBlock(bucket, b.id, dir.string()));
    log::Info("repairing block", {{"id", b.id}});
    auto repaired = RepairBlock((dir / b.id).string(), dir.string());
    if (!repaired.ok()) {
      log::Error("could not repair index", {{"id", b.id}, {"err", repaired.status().ToString()}});
      continue;
    }
    const std::string new_dir = (dir / *repaired).string();
    STRATA_ASSIGN_OR_RETURN(tsdb::BlockMeta nm, tsdb::ReadBlockMeta(new_dir));
    auto check = GatherIndexHealth(new_dir + "/index", nm.min_time, nm.max_time);
    if (!check.ok() || !check->Issues().empty()) {
      return Status::Corruption("repaired block is invalid " + *repaired + ": " +
                                (check.ok() ? check->Issues() : check.status().ToString()));
    }
    log::Info("uploading repaired block", {{"newID", *repaired}});
    STRATA_RETURN_IF_ERROR(block::UploadBlock(bucket, new_dir));
    log::Info("safe deleting broken block", {{"id", b.id}});
    STRATA_RETURN_IF_ERROR(BackupAndDelete(bucket, *backup, b.id, (dir / b.id).string(), opts));
    log::Info("all good, continuing", {{"id", b.id}});
  }
  log::Info("verified issue", {{"with-repair", opts.repair ? "true" : "false"}});
  return Status::OK();
}

bool SameBlockContent(const tsdb::BlockMeta& a, const tsdb::BlockMeta& b) {
  return a.min_time == b.min_time && a.max_time == b.max_time &&
         a.compaction.level == b.compaction.level && a.compaction.sources == b.compaction.sources &&
         a.stats.num_samples == b.stats.num_samples && a.stats.num_series == b.stats.num_series &&
         a.stats.num_chunks == b.stats.num_chunks &&
         a.stats.num_tombstones == b.stats.num_tombstones;
}

Status DuplicatedCompaction(objstore::Bucket& bucket, objstore::Bucket* backup,
                            const std::vector<block::BucketBlock>& blocks,
                            const VerifyOptions& opts) {
  log::Info("started verifying issue", {{"with-repair", opts.repair ? "true" : "false"}});
  std::vector<std::string> kill;
  for (const auto& [group, overlaps] : OverlapsByGroup(blocks)) {
    for (const auto& o : overlaps) {
      std::vector<std::vector<const tsdb::BlockMeta*>> sets;
      for (const auto* m : o.blocks) {
        auto it = std::find_if(sets.begin(), sets.end(),
                               [&](const auto& s) { return SameBlockContent(*s[0], *m); });
        if (it == sets.end()) {
          sets.push_back({m});
        } else {
          it->push_back(m);
        }
      }
      bool any = false;
      for (const auto& s : sets) {
        if (s.size() < 2) continue;
        any = true;
        std::string killed;
        for (size_t i = 1; i < s.size(); i++) {
          killed += (i > 1 ? "," : "") + Describe(*s[i]);
          kill.push_back(s[i]->ulid.String());
        }
        log::Warn("found duplicated blocks",
                  {{"group", group},
                   {"range-min", std::to_string(o.min)},
                   {"range-max", std::to_string(o.max)},
                   {"kill", "blocks: " + std::to_string(s.size() - 1) + ", [" + killed + "]"}});
      }
      if (!any) {
        log::Warn(
            "found overlapped blocks, but all of the blocks are unique. Seems like unrelated "
            "issue. Ignoring overlap",
            {{"group", group}, {"overlap", Describe(o)}});
      }
    }
  }
  if (kill.empty()) return Status::OK();
  std::string ids;
  for (const auto& k : kill) ids += (ids.empty() ? "" : " ") + k;
  log::Warn("Found duplicated blocks that are ok to be removed",
            {{"ULIDs", "[" + ids + "]"}, {"num", std::to_string(kill.size())}});
  if (!opts.repair) return Status::OK();
  for (const auto& id : kill) {
    const fs::path dir = fs::path(opts.work_dir) / ("safe-delete-" + id);
    STRATA_RETURN_IF_ERROR(block::DownloadBlock(bucket, id, dir.string()));
    Status st = BackupAndDelete(bucket, *backup, id, (dir / id).string(), opts);
    std::error_code ec;
    fs::remove_all(dir, ec);
    STRATA_RETURN_IF_ERROR(st);
    log::Info("Removed duplicated block", {{"id", id}});
  }
  log::Info(
      "Removed all duplicated blocks. You might want to rerun this verify to check if "
      "there is still any unrelated overlap");
  return Status::OK();
}

}  // namespace

const std::vector<std::string>& VerifyIssues() {
  static const std::vector<std::string> kIssues = {"overlapped_blocks", "index_known_issues",
                                                   "duplicated_compaction"};
  return kIssues;
}

std::string IndexHealth::Issues() const {
  std::vector<std::string> m;
  auto add = [&](int64_t n, const std::string& what) {
    if (n > 0) m.push_back("found " + std::to_string(n) + " chunks " + what);
  };
  add(outside_chunks - complete_outside_chunks - issue347_chunks,
      "non-completely outside the block time range");
  add(complete_outside_chunks, "completely outside the block time range");
  add(issue347_chunks,
      "outside the block time range introduced by https://github.com/prometheus/tsdb/issues/347");
  if (out_of_order_labels > 0)
    m.push_back("index contains " + std::to_string(out_of_order_labels) +
                " postings with out of order labels");
  if (out_of_order_chunks > 0) {
    char buf[200];
    std::snprintf(
        buf, sizeof buf,
        "%lld/%lld series have an average of %.3f out-of-order chunks: %.3f of these are "
        "exact duplicates (in terms of data and time range)",
        static_cast<long long>(out_of_order_series), static_cast<long long>(series),
        static_cast<double>(out_of_order_chunks) / static_cast<double>(out_of_order_series),
        static_cast<double>(duplicated_chunks) / static_cast<double>(out_of_order_chunks));
    m.push_back(buf);
  }
  std::string out;
  for (const auto& s : m) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool IndexHealth::Repairable() const {
  return out_of_order_chunks <= duplicated_chunks &&
         outside_chunks <= complete_outside_chunks + issue347_chunks;
}

Result<IndexHealth> GatherIndexHealth(const std::string& path, int64_t mint, int64_t maxt) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<tsdb::IndexReader> r, tsdb::IndexReader::Open(path));
  STRATA_ASSIGN_OR_RETURN(tsdb::Postings all, r->ReadPostings("", ""));
  IndexHealth h;
  Labels prev;
  for (uint32_t ref : all) {
    STRATA_ASSIGN_OR_RETURN(auto s, r->ReadSeries(ref));
    if (s.labels.empty())
      return Status::Corruption("empty label set detected for series " + std::to_string(ref));
    if (!prev.empty() && CompareLabels(prev, s.labels) >= 0) {
      return Status::Corruption("series " + s.labels.String() + " out of order; previous " +
                                prev.String());
    }
    const Label* l0 = nullptr;
    for (const auto& l : s.labels) {
      if (l0 != nullptr && l.name < l0->name) {
        h.out_of_order_labels++;
        log::Warn("out-of-order label set: known bug in Prometheus 2.8.0 and below",
                  {{"labelset", s.labels.String()}, {"series", std::to_string(ref)}});
      }
      l0 = &l;
    }
    if (s.chunks.empty())
      return Status::Corruption("empty chunks for series " + std::to_string(ref));
    h.series++;
    int64_t ooo = 0;
    for (size_t i = 0; i < s.chunks.size(); i++) {
      const auto& c = s.chunks[i];
      if (c.min_time < mint || c.max_time > maxt) {
        h.outside_chunks++;
        if (c.min_time > maxt || c.max_time < mint) {
          h.complete_outside_chunks++;
        } else if (c.min_time == maxt) {
          h.issue347_chunks++;
        }
      }
      if (i == 0 || c.min_time > s.chunks[i - 1].max_time) continue;
      if (c.min_time == s.chunks[i - 1].min_time && c.max_time == s.chunks[i - 1].max_time) {
        h.duplicated_chunks++;
        continue;
      }
      ooo++;
    }
    if (ooo > 0) {
      h.out_of_order_series++;
      h.out_of_order_chunks += ooo;
    }
    prev = s.labels;
  }
  return h;
}

Status VerifyBucket(objstore::Bucket& bucket, objstore::Bucket* backup, const VerifyOptions& opts) {
  for (const auto& i : opts.issues) {
    if (std::find(VerifyIssues().begin(), VerifyIssues().end(), i) == VerifyIssues().end())
      return Status::InvalidArgument("no such issue ID " + i);
  }
  if (opts.repair && backup == nullptr)
    return Status::InvalidArgument("repair is specified, so backup client is required");
  STRATA_ASSIGN_OR_RETURN(std::vector<block::BucketBlock> all, block::FetchBlocks(bucket));
  std::vector<block::BucketBlock> blocks;  // whole, not marked for deletion
  for (auto& b : all) {
    if (!b.partial && b.error.empty() && !b.marked_for_deletion) blocks.push_back(std::move(b));
  }
  std::error_code ec;
  fs::create_directories(opts.work_dir, ec);
  if (ec) return Status::IOError("create " + opts.work_dir + ": " + ec.message());
  std::string joined;
  for (const auto& i : opts.issues) joined += (joined.empty() ? "" : ",") + i;
  if (opts.repair) log::Warn("GLOBAL COMPACTOR SHOULD __NOT__ BE RUNNING ON THE SAME BUCKET");
  log::Info(opts.repair ? "Starting verify and repair task" : "Starting verify task",
            {{"verifiers", joined}});
  for (const auto& issue : opts.issues) {
    Status st;
    if (issue == "index_known_issues") {
      st = IndexKnownIssues(bucket, backup, blocks, opts);
    } else if (!opts.ids.empty()) {
      st = Status::InvalidArgument("id matching is not supported");
    } else if (issue == "duplicated_compaction") {
      st = DuplicatedCompaction(bucket, backup, blocks, opts);
    } else {  // overlapped_blocks: reported only, with or without repair
      log::Info("started verifying issue", {{"verifier", issue}});
      for (const auto& [group, overlaps] : OverlapsByGroup(blocks)) {
        std::string lines;
        for (const auto& o : overlaps) lines += (lines.empty() ? "" : "\n") + Describe(o);
        log::Warn("found overlapped blocks", {{"group", group}, {"overlap", lines}});
      }
    }
    if (!st.ok()) return st.WithContext((opts.repair ? "verify and repair " : "verify ") + issue);
  }
  log::Info(opts.repair ? "verify and repair task completed" : "verify task completed");
  return Status::OK();
}

}  // namespace strata::tools
