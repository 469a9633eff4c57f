// Blocks in object storage, as Thanos lays them out: <ULID>/meta.json, <ULID>/index,
// <ULID>/chunks/000001..., optional deletion-mark.json and no-compact-mark.json.
// Upload writes meta.json last, so a block without meta.json is partial (still uploading or
// abandoned) and is never treated as complete.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/bucket.h"
#include "tsdb/meta.h"

namespace strata::block {

struct BucketBlock {
  std::string id;          // the ULID directory name
  bool partial = false;    // no meta.json
  std::string error;       // meta.json present but unreadable (corrupt), else empty
  tsdb::BlockMeta meta;    // valid when !partial && error.empty()
  int64_t size_bytes = 0;  // sum of the block's objects (with FetchOptions::sizes)
  bool marked_for_deletion = false;
  int64_t deletion_time = 0;  // unix seconds, from deletion-mark.json
  bool marked_no_compact = false;
  bool marked_no_downsample = false;
};

// The meta.json of blocks read before: it never changes once uploaded, so a component that
// lists the bucket again and again (store gateway, compactor) reads only new blocks' meta.json.
// With a directory, the metas are also kept there as <dir>/<ULID>/meta.json (Thanos's
// <data-dir>/meta-syncer), so a restarted component does not read them from the bucket again.
// Thread-safe.
class MetaCache {
 public:
  MetaCache() = default;  // in memory only
  explicit MetaCache(std::string dir) : dir_(std::move(dir)) {}

  std::optional<tsdb::BlockMeta> Get(const std::string& id);
  void Put(const std::string& id, const tsdb::BlockMeta& meta);
  // Forgets every block not in `ids` (gone from the bucket), on disk too.
  void Retain(const std::set<std::string>& ids);

 private:
  const std::string dir_;
  std::atomic<bool> write_failure_logged_{false};
  std::mutex mu_;
  std::map<std::string, tsdb::BlockMeta> metas_;
};

// Where a component with this --data-dir keeps its MetaCache ("" without a data dir).
std::string MetaCacheDir(const std::string& data_dir);

struct FetchOptions {
  int concurrency = 16;        // blocks read at once
  MetaCache* cache = nullptr;  // metas known already; new ones are added
  // Fills size_bytes: one Attributes call per object (for tools that show sizes).
  bool sizes = false;
  // Gives up with kDeadlineExceeded once this much time has passed (checked before each block;
  // each request has the bucket's own timeouts). 0: no limit. Thanos's sync timeouts.
  int64_t timeout_ms = 0;
};

// Lists every block directory with its marks and reads its meta.json. Problems with one block
// are recorded in that block, never fatal; listing errors are.
Result<std::vector<BucketBlock>> FetchBlocks(objstore::Bucket& bucket,
                                             const FetchOptions& opts = {});

// Uploads a local block directory: chunks, index and tombstones first, then meta.json with the
// thanos section's files list filled in (and `thanos` replaced when given).
// file_concurrency files are sent at once (--block-files-concurrency). hash_func "SHA256"
// (--hash-func) records each file's SHA-256 in the thanos section's files list; "" records none.
Status UploadBlock(objstore::Bucket& bucket, const std::string& block_dir,
                   const tsdb::ThanosMeta* thanos = nullptr, int file_concurrency = 1,
                   const std::string& hash_func = "");
// Checks a --hash-func value: "" or "SHA256".
Status CheckHashFunc(const std::string& hash_func);

// Writes Thanos's <id>/deletion-mark.json ({"id", "deletion_time", "version": 1, "details"}):
// readers stop using the block, and the compactor deletes it after --delete-delay.
Status MarkForDeletion(objstore::Bucket& bucket, const std::string& id, const std::string& details);
// Writes <id>/no-compact-mark.json ({"id", "version": 1, "details", "no_compact_time", "reason"}):
// the compactor leaves the block alone.
Status MarkNoCompact(objstore::Bucket& bucket, const std::string& id, const std::string& reason,
                     const std::string& details);
// Writes <id>/no-downsample-mark.json ({"id", "version": 1, "details", "no_downsample_time",
// "reason"}): the compactor does not downsample the block.
Status MarkNoDownsample(objstore::Bucket& bucket, const std::string& id, const std::string& reason,
                        const std::string& details);
// Deletes every object of a block: meta.json first (the block turns partial, so no reader picks
// it up half-deleted), deletion-mark.json last (so an interrupted delete is retried).
Status DeleteBlock(objstore::Bucket& bucket, const std::string& id);

// Downloads block `id` into dir/<id> (via dir/<id>.tmp-download, renamed when complete).
// file_concurrency files are fetched at once (--block-files-concurrency).
Status DownloadBlock(objstore::Bucket& bucket, const std::string& id, const std::string& dir,
                     int file_concurrency = 1);

}  // namespace strata::block
