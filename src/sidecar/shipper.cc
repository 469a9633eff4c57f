#include "sidecar/shipper.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/shutdown.h"
#include "block/block.h"
#include "tsdb/meta.h"

namespace strata::sidecar {

namespace fs = std::filesystem;

struct Shipper::LocalBlock {
  std::string dir;
  tsdb::BlockMeta meta;
};

Result<ShipperMeta> ReadShipperMeta(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer())
    return Status::Corruption(path + ": not a shipper meta file (no version)");
  ShipperMeta m;
  m.version = j["version"].get<int>();
  if (m.version != 1)
    return Status::Corruption(path + ": unexpected version " + std::to_string(m.version));
  const auto& up = j.value("uploaded", nlohmann::json());
  if (!up.is_null() && !up.is_array())
    return Status::Corruption(path + ": \"uploaded\" is not a list");
  if (up.is_array()) {
    for (const auto& v : up) {
      auto id = v.is_string() ? Ulid::Parse(v.get<std::string>())
                              : Result<Ulid>(Status::Corruption("not a string"));
      if (!id.ok()) return Status::Corruption(path + ": bad block ID in \"uploaded\": " + v.dump());
      m.uploaded.push_back(*id);
    }
  }
  return m;
}

Status WriteShipperMeta(const std::string& path, const ShipperMeta& meta) {
  std::string out = "{\n\t\"version\": " + std::to_string(meta.version) + ",\n\t\"uploaded\": ";
  if (meta.uploaded.empty()) {
    out += "null";
  } else {
    out += "[\n";
    for (size_t i = 0; i < meta.uploaded.size(); i++) {
      out += "\t\t\"" + meta.uploaded[i].String() + "\"";
      out += i + 1 < meta.uploaded.size() ? ",\n" : "\n";
    }
    out += "\t]";
  }
  out += "\n}\n";
  return WriteFileAtomic(path, out);
}

Shipper::Shipper(std::shared_ptr<objstore::Bucket> bucket, ShipperOptions opts, Registry* r)
    : bucket_(std::move(bucket)),
      opts_(std::move(opts)),
      dir_syncs_(r->AddCounter("thanos_shipper_dir_syncs_total", "Total number of dir syncs")
                     .WithLabelValues({})),
      dir_sync_failures_(r->AddCounter("thanos_shipper_dir_sync_failures_total",
                                       "Total number of failed dir syncs")
                             .WithLabelValues({})),
      uploads_(r->AddCounter("thanos_shipper_uploads_total", "Total number of uploaded blocks")
                   .WithLabelValues({})),
      upload_failures_(r->AddCounter("thanos_shipper_upload_failures_total",
                                     "Total number of block upload failures")
                           .WithLabelValues({})),
      deleted_before_upload_(
          r->AddCounter("strata_shipper_blocks_deleted_before_upload_total",
                        "Blocks that disappeared from the TSDB directory before they were shipped.")
              .WithLabelValues({})),
      upload_compacted_done_(
          r->AddGauge("thanos_shipper_upload_compacted_done",
                      "If 1 it means shipper uploaded all compacted blocks from the filesystem.")
              .WithLabelValues({})) {}

Result<std::vector<Shipper::LocalBlock>> Shipper::ListBlocks() const {
  std::vector<LocalBlock> blocks;
  std::error_code ec;
  for (auto it = fs::directory_iterator(opts_.dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Prometheus builds blocks in <ULID>.tmp-for-creation and renames them when complete, so a
    // directory named exactly like a ULID is a finished block.
    if (!Ulid::IsValid(name) || !it->is_directory()) continue;
    auto meta = tsdb::ReadBlockMeta(it->path().string());
    if (!meta.ok()) {
      // Being deleted by Prometheus, or damaged: skipping it keeps the other blocks shipping.
      log::Warn("skipping block without readable meta.json",
                {{"block", name}, {"err", meta.status().ToString()}});
      continue;
    }
    blocks.push_back(LocalBlock{it->path().string(), std::move(*meta)});
  }
  if (ec) return Status::IOError("list " + opts_.dir + ": " + ec.message());
  std::sort(blocks.begin(), blocks.end(), [](const LocalBlock& a, const LocalBlock& b) {
    return a.meta.min_time < b.meta.min_time ||
           (a.meta.min_time == b.meta.min_time && a.meta.ulid < b.meta.ulid);
  });
  return blocks;
}

Result<int64_t> Shipper::MinTime() const {
  STRATA_ASSIGN_OR_RETURN(std::vector<LocalBlock> blocks, ListBlocks());
  return blocks.empty() ? int64_t{0} : blocks.front().meta.min_time;
}

Status Shipper::Upload(const LocalBlock& b, const Labels& external_labels) {
  const std::string id = b.meta.ulid.String();
  const fs::path updir = fs::path(opts_.dir) / "thanos" / "upload" / id;
  std::error_code ec;
  fs::remove_all(updir, ec);
  fs::create_directories(updir / "chunks", ec);
  if (ec) return Status::IOError("create upload dir " + updir.string() + ": " + ec.message());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{updir};

  // Hard links: the upload reads a stable copy even if Prometheus deletes the block meanwhile.
  std::vector<std::string> files = {"index"};
  for (auto it = fs::directory_iterator(fs::path(b.dir) / "chunks", ec); !ec && it != fs::end(it);
       it.increment(ec))
    files.push_back("chunks/" + it->path().filename().string());
  if (ec) {
    if (!fs::exists(b.dir)) return Status::NotFound("block " + id + " was deleted before upload");
    return Status::IOError("read " + b.dir + "/chunks: " + ec.message());
  }
  for (const auto& f : files) {
    fs::create_hard_link(fs::path(b.dir) / f, updir / f, ec);
    if (ec) {
      if (!fs::exists(b.dir)) return Status::NotFound("block " + id + " was deleted before upload");
      return Status::IOError("hard link " + (fs::path(b.dir) / f).string() + ": " + ec.message());
    }
  }
  tsdb::BlockMeta meta = b.meta;
  tsdb::ThanosMeta thanos = meta.thanos.value_or(tsdb::ThanosMeta{});
  thanos.labels = external_labels;
  thanos.source = opts_.source;
  meta.thanos = thanos;
  STRATA_RETURN_IF_ERROR(tsdb::WriteBlockMeta(updir.string(), meta));
  return block::UploadBlock(*bucket_, updir.string(), nullptr, 1, opts_.hash_func);
}

Result<int> Shipper::Sync(const Labels& external_labels) {
  if (external_labels.empty())
    return Status::InvalidArgument("empty external labels are not allowed for Thanos blocks");
  const std::string meta_path = opts_.dir + "/" + opts_.meta_file;
  auto prev = ReadShipperMeta(meta_path);
  if (!prev.ok() && !prev.status().IsNotFound())
    log::Warn("reading shipper meta file failed, will override it",
              {{"err", prev.status().ToString()}});
  const std::set<Ulid> shipped =
      prev.ok() ? std::set<Ulid>(prev->uploaded.begin(), prev->uploaded.end()) : std::set<Ulid>{};

  auto blocks = ListBlocks();
  if (!blocks.ok()) {
    dir_syncs_.Inc();
    dir_sync_failures_.Inc();
    return blocks.status();
  }
  ShipperMeta next;
  int uploaded = 0;
  Status failure;
  for (const LocalBlock& b : *blocks) {
    const Ulid id = b.meta.ulid;
    if (shipped.count(id)) {
      next.uploaded.push_back(id);
      continue;
    }
    if (b.meta.stats.num_samples == 0) continue;  // nothing to ship
    if (b.meta.compaction.level > 1 && !opts_.upload_compacted) continue;
    if (shutdown::Requested()) {  // the block ships on the next start
      failure = Status(StatusCode::kCancelled, "shutting down before uploading " + id.String());
      break;
    }
    auto exists = bucket_->Exists(id.String() + "/meta.json");
    if (!exists.ok()) {
      upload_failures_.Inc();  // the block cannot be shipped while the bucket fails
      failure = Status(exists.status().code(), "check exists: " + exists.status().message());
      break;
    }
    if (*exists) {  // shipped by an earlier run that stopped before recording it
      next.uploaded.push_back(id);
      continue;
    }
    log::Info("upload new block", {{"id", id.String()}});
    Status st = Upload(b, external_labels);
    if (st.IsNotFound()) {
      deleted_before_upload_.Inc();
      log::Warn("block deleted before it could be shipped", {{"id", id.String()}});
      continue;
    }
    if (!st.ok()) {
      upload_failures_.Inc();
      failure = Status(st.code(), "upload " + id.String() + ": " + st.message());
      break;
    }
    uploads_.Inc();
    uploaded++;
    next.uploaded.push_back(id);
  }
  // Record progress even after a failure, so shipped blocks are not checked again.
  if (Status st = WriteShipperMeta(meta_path, next); !st.ok())
    log::Warn("updating shipper meta file failed", {{"err", st.ToString()}});
  dir_syncs_.Inc();
  if (!failure.ok()) {
    dir_sync_failures_.Inc();
    return failure;
  }
  upload_compacted_done_.Set(opts_.upload_compacted ? 1 : 0);
  return uploaded;
}

}  // namespace strata::sidecar
