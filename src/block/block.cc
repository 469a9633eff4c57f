#include "block/block.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/executor.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/timestamp.h"
#include "base/ulid.h"

namespace strata::block {
namespace fs = std::filesystem;

// The disk is read and written outside the lock, so FetchBlocks's workers do not wait on
// each other's files.
std::optional<tsdb::BlockMeta> MetaCache::Get(const std::string& id) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (auto it = metas_.find(id); it != metas_.end()) return it->second;
  }
  if (dir_.empty() || !Ulid::IsValid(id)) return std::nullopt;
  // A cached file that does not parse (a crash mid-write, a disk problem) is read again from
  // the bucket and rewritten.
  auto meta = tsdb::ReadBlockMeta((fs::path(dir_) / id).string());
  if (!meta.ok() || meta->ulid.String() != id) return std::nullopt;
  std::lock_guard<std::mutex> l(mu_);
  return metas_[id] = std::move(*meta);
}

void MetaCache::Put(const std::string& id, const tsdb::BlockMeta& meta) {
  {
    std::lock_guard<std::mutex> l(mu_);
    metas_[id] = meta;
  }
  if (dir_.empty() || !Ulid::IsValid(id)) return;
  // Failing to keep a copy on disk only costs a read from the bucket after a restart; it is
  // logged once per cache, not once per block.
  std::error_code ec;
  const fs::path d = fs::path(dir_) / id;
  fs::create_directories(d, ec);
  Status st = ec ? Status::IOError("create " + d.string() + ": " + ec.message())
                 : tsdb::WriteBlockMeta(d.string(), meta);
  if (!st.ok() && !write_failure_logged_.exchange(true))
    log::Warn("cannot keep block metas on disk; a restart will read them from the bucket again",
              {{"dir", dir_}, {"err", st.ToString()}});
}

void MetaCache::Retain(const std::set<std::string>& ids) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase_if(metas_, [&](const auto& e) { return !ids.contains(e.first); });
  if (dir_.empty()) return;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (Ulid::IsValid(name) && !ids.contains(name)) fs::remove_all(e.path(), ec);
  }
}

std::string MetaCacheDir(const std::string& data_dir) {
  return data_dir.empty() ? "" : (fs::path(data_dir) / "meta-syncer").string();
}

Result<std::vector<BucketBlock>> FetchBlocks(objstore::Bucket& bucket, const FetchOptions& opts) {
  std::vector<BucketBlock> blocks;
  STRATA_RETURN_IF_ERROR(bucket.Iter(
      "",
      [&](const std::string& name) {
        if (name.size() == 27 && name.back() == '/' && Ulid::IsValid(name.substr(0, 26))) {
          blocks.push_back(BucketBlock{.id = name.substr(0, 26)});
        }
        return Status::OK();
      },
      false));

  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  Status first_error;
  const int64_t deadline = opts.timeout_ms > 0 ? NowMs() + opts.timeout_ms : 0;
  auto work = [&] {
    for (size_t i = next++; i < blocks.size(); i = next++, done++) {
      if (deadline != 0 && NowMs() >= deadline) {
        std::lock_guard<std::mutex> l(mu);
        if (first_error.ok())
          first_error = Status(StatusCode::kDeadlineExceeded,
                               "reading block metas timed out after " +
                                   FormatDuration(opts.timeout_ms) + ": " + std::to_string(done) +
                                   " of " + std::to_string(blocks.size()) + " blocks read");
        return;
      }
      BucketBlock& b = blocks[i];
      bool has_meta = false;
      Status st = bucket.Iter(
          b.id,
          [&](const std::string& name) {
            if (opts.sizes) {
              auto attrs = bucket.Attributes(name);
              if (attrs.ok()) b.size_bytes += attrs->size;
            }
            std::string_view file = std::string_view(name).substr(b.id.size() + 1);
            if (file == "deletion-mark.json") {
              b.marked_for_deletion = true;
              if (auto mark = bucket.Get(name); mark.ok()) {
                auto j = nlohmann::json::parse(*mark, nullptr, false);
                if (j.is_object() && j.contains("deletion_time") &&
                    j["deletion_time"].is_number_integer())
                  b.deletion_time = j["deletion_time"].get<int64_t>();
              }
            }
            if (file == "meta.json") has_meta = true;
            if (file == "no-compact-mark.json") b.marked_no_compact = true;
            if (file == "no-downsample-mark.json") b.marked_no_downsample = true;
            return Status::OK();
          },
          true);
      // A cached meta.json counts only while the listing still shows it (a block being deleted
      // loses it first).
      if (auto known = opts.cache && has_meta ? opts.cache->Get(b.id) : std::nullopt;
          known && st.ok()) {
        b.meta = std::move(*known);
        continue;
      }
      auto meta = bucket.Get(b.id + "/meta.json");
      if (!meta.ok()) {
        if (meta.status().IsNotFound()) {
          b.partial = true;
        } else {
          st = meta.status();
        }
      } else {
        auto parsed = tsdb::ParseBlockMeta(*meta, b.id + "/meta.json");
        if (parsed.ok()) {
          b.meta = std::move(*parsed);
          if (opts.cache) opts.cache->Put(b.id, b.meta);
        } else {
          b.error = parsed.status().message();
        }
      }
      if (!st.ok()) {
        std::lock_guard<std::mutex> l(mu);
        if (first_error.ok()) first_error = st.WithContext("block " + b.id);
      }
    }
  };
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(opts.concurrency, static_cast<int>(blocks.size())));
  for (int i = 0; i < n; i++) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  if (opts.cache) {
    std::set<std::string> ids;
    for (const auto& b : blocks) ids.insert(b.id);
    opts.cache->Retain(ids);
  }
  return blocks;
}

Status CheckHashFunc(const std::string& hash_func) {
  if (hash_func.empty() || hash_func == "SHA256") return Status::OK();
  return Status::InvalidArgument("--hash-func=" + hash_func +
                                 ": unsupported hash function (\"\" or \"SHA256\")");
}

Status UploadBlock(objstore::Bucket& bucket, const std::string& block_dir,
                   const tsdb::ThanosMeta* thanos, int file_concurrency,
                   const std::string& hash_func) {
  STRATA_RETURN_IF_ERROR(CheckHashFunc(hash_func));
  STRATA_ASSIGN_OR_RETURN(tsdb::BlockMeta meta, tsdb::ReadBlockMeta(block_dir));
  const std::string id = meta.ulid.String();
  if (fs::path(block_dir).filename() != id) {
    return Status::InvalidArgument("block directory " + block_dir +
                                   " is not named after its ULID " + id);
  }
  if (thanos != nullptr) meta.thanos = *thanos;
  if (!meta.thanos) meta.thanos = tsdb::ThanosMeta{};
  meta.thanos->files.clear();
  meta.thanos->segment_files.clear();
  std::vector<std::string> rel;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(block_dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string r = fs::relative(it->path(), block_dir).generic_string();
    if (r != "meta.json") rel.push_back(r);
  }
  if (ec) return Status::IOError("list " + block_dir + ": " + ec.message());
  std::sort(rel.begin(), rel.end());
  // Each file is sent (and hashed, with a hash function) by one of file_concurrency workers.
  std::vector<tsdb::ThanosFile> files(rel.size());
  std::vector<Status> sent(rel.size());
  Executor::Shared().ParallelFor(
      rel.size(), static_cast<size_t>(std::max(1, file_concurrency)), [&](size_t i) {
        const std::string path = block_dir + "/" + rel[i];
        std::error_code size_ec;
        const auto size = fs::file_size(path, size_ec);
        if (size_ec) {
          sent[i] = Status::IOError("size of " + path + ": " + size_ec.message());
          return;
        }
        files[i] = {rel[i], static_cast<int64_t>(size)};
        if (!hash_func.empty()) {
          auto h = FileSha256Hex(path);
          if (!h.ok()) {
            sent[i] = h.status();
            return;
          }
          files[i].hash_func = hash_func;
          files[i].hash_value = std::move(*h);
        }
        sent[i] = bucket.UploadFile(id + "/" + rel[i], path);
      });
  for (const Status& st : sent) STRATA_RETURN_IF_ERROR(st);
  for (auto& f : files) {
    if (f.rel_path.starts_with("chunks/"))
      meta.thanos->segment_files.push_back(f.rel_path.substr(7));
    meta.thanos->files.push_back(std::move(f));
  }
  meta.thanos->files.push_back({"meta.json", 0});
  return bucket.Upload(id + "/meta.json", tsdb::SerializeBlockMeta(meta));
}

namespace {

// Thanos writes its marks with Go's json.MarshalIndent (tab indentation).
std::string MarkJson(const nlohmann::ordered_json& j) { return j.dump(1, '\t') + "\n"; }

// no-compact-mark.json and no-downsample-mark.json differ only in names.
Status MarkNo(objstore::Bucket& bucket, const std::string& what, const std::string& id,
              const std::string& reason, const std::string& details) {
  if (!Ulid::IsValid(id)) return Status::InvalidArgument("not a block ULID: " + id);
  nlohmann::ordered_json j;
  j["id"] = id;
  j["version"] = 1;
  j["details"] = details;
  j["no_" + what + "_time"] = NowMs() / 1000;
  j["reason"] = reason;
  return bucket.Upload(id + "/no-" + what + "-mark.json", MarkJson(j));
}

}  // namespace

Status MarkForDeletion(objstore::Bucket& bucket, const std::string& id,
                       const std::string& details) {
  if (!Ulid::IsValid(id)) return Status::InvalidArgument("not a block ULID: " + id);
  nlohmann::ordered_json j;
  j["id"] = id;
  j["deletion_time"] = NowMs() / 1000;
  j["version"] = 1;
  j["details"] = details;
  return bucket.Upload(id + "/deletion-mark.json", MarkJson(j));
}

Status MarkNoCompact(objstore::Bucket& bucket, const std::string& id, const std::string& reason,
                     const std::string& details) {
  return MarkNo(bucket, "compact", id, reason, details);
}

Status MarkNoDownsample(objstore::Bucket& bucket, const std::string& id, const std::string& reason,
                        const std::string& details) {
  return MarkNo(bucket, "downsample", id, reason, details);
}

Status DeleteBlock(objstore::Bucket& bucket, const std::string& id) {
  if (!Ulid::IsValid(id)) return Status::InvalidArgument("not a block ULID: " + id);
  std::vector<std::string> names;
  STRATA_RETURN_IF_ERROR(bucket.Iter(
      id,
      [&](const std::string& name) {
        names.push_back(name);
        return Status::OK();
      },
      true));
  auto rank = [&](const std::string& n) {
    if (n == id + "/meta.json") return 0;
    if (n == id + "/deletion-mark.json") return 2;
    return 1;
  };
  std::stable_sort(names.begin(), names.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  for (const auto& n : names) {
    Status st = bucket.Delete(n);
    if (!st.ok() && !st.IsNotFound()) return st.WithContext("delete block " + id);
  }
  return Status::OK();
}

Status DownloadBlock(objstore::Bucket& bucket, const std::string& id, const std::string& dir,
                     int file_concurrency) {
  if (!Ulid::IsValid(id)) return Status::InvalidArgument("not a block ULID: " + id);
  const fs::path final_dir = fs::path(dir) / id, tmp = fs::path(dir) / (id + ".tmp-download");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  std::vector<std::string> names;
  STRATA_RETURN_IF_ERROR(bucket.Iter(
      id,
      [&](const std::string& name) {
        names.push_back(name);
        return Status::OK();
      },
      true));
  for (const auto& name : names) {
    // Object names come from the bucket: keep them inside the block directory.
    const std::string rel = name.substr(id.size() + 1);
    if (rel.empty() || rel.find("..") != std::string::npos || rel.front() == '/') {
      return Status::Corruption("unsafe object name in block " + id + ": " + name);
    }
    fs::create_directories((tmp / rel).parent_path(), ec);
  }
  std::vector<Status> got(names.size());
  Executor::Shared().ParallelFor(names.size(), static_cast<size_t>(std::max(1, file_concurrency)),
                                 [&](size_t i) {
                                   const std::string rel = names[i].substr(id.size() + 1);
                                   got[i] = bucket.Download(names[i], (tmp / rel).string());
                                 });
  for (const Status& st : got) STRATA_RETURN_IF_ERROR(st);
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) return Status::IOError("rename " + tmp.string() + ": " + ec.message());
  return Status::OK();
}

}  // namespace strata::block
