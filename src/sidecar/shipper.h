// Ships the blocks Prometheus finishes in its TSDB directory to object storage, as Thanos's
// shipper does: oldest first, each through a hard-linked copy (so Prometheus may delete the
// original meanwhile) whose meta.json gets the Thanos section (external labels, source, files),
// meta.json uploaded last. Uploaded blocks are recorded in <dir>/thanos.shipper.json, written
// atomically, and a block whose meta.json is already in the bucket is never uploaded again, so a
// crash at any point leads to neither a lost nor a duplicated block.
// Thread-safety: Sync must not run concurrently with itself; Timestamps may run anytime.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/labels.h"
#include "base/metrics.h"
#include "base/status.h"
#include "base/ulid.h"
#include "objstore/bucket.h"

namespace strata::sidecar {

inline constexpr char kShipperMetaFile[] = "thanos.shipper.json";

struct ShipperMeta {
  int version = 1;
  std::vector<Ulid> uploaded;
};
Result<ShipperMeta> ReadShipperMeta(const std::string& path);
// Go's json.MarshalIndent layout (tab indent, "uploaded": null when empty), written atomically.
Status WriteShipperMeta(const std::string& path, const ShipperMeta& meta);

struct ShipperOptions {
  std::string dir;                 // the TSDB directory (--tsdb.path)
  std::string source = "sidecar";  // thanos.source of uploaded blocks
  bool upload_compacted = false;   // also ship blocks of compaction level > 1
  std::string meta_file = kShipperMetaFile;
  std::string hash_func;  // --hash-func: "" or "SHA256", recorded per file in meta.json
};

class Shipper {
 public:
  Shipper(std::shared_ptr<objstore::Bucket> bucket, ShipperOptions opts, Registry* metrics);

  // One pass over the directory, uploading finished blocks not shipped yet, labelled with
  // external_labels (must not be empty). Stops at the first failed upload (blocks go up in
  // time order) and returns its error; the next pass retries. Returns the number uploaded.
  Result<int> Sync(const Labels& external_labels);

  // The smallest min time of the local blocks (0 when there are none), for the time range the
  // sidecar announces.
  Result<int64_t> MinTime() const;

 private:
  struct LocalBlock;
  Result<std::vector<LocalBlock>> ListBlocks() const;
  Status Upload(const LocalBlock& b, const Labels& external_labels);

  std::shared_ptr<objstore::Bucket> bucket_;
  ShipperOptions opts_;
  Counter& dir_syncs_;
  Counter& dir_sync_failures_;
  Counter& uploads_;
  Counter& upload_failures_;
  Counter& deleted_before_upload_;
  Gauge& upload_compacted_done_;
};

}  // namespace strata::sidecar
