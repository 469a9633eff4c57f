// Thanos's block viewer API (pkg/api/blocks): GET /api/v1/blocks answers the bucket's blocks
// (`?view=loaded`: the blocks a store gateway has loaded) as their meta.json documents, with the
// --bucket-web-label / --label grouping label and when the list was last refreshed;
// POST /api/v1/blocks/mark (id, action=DELETION|NO_COMPACTION, detail) writes Thanos's marks,
// unless admin operations are disabled. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/bucket.h"
#include "tsdb/meta.h"

namespace strata::server {
class Router;
}

namespace strata::ui {

class BlocksApi {
 public:
  // bucket may be null (no marks then); it must outlive the API.
  BlocksApi(std::string label, bool disable_admin_operations, objstore::Bucket* bucket)
      : label_(std::move(label)), disable_admin_(disable_admin_operations), bucket_(bucket) {}

  // A refresh of the bucket's blocks; on error the last list stays, with the error shown.
  void SetGlobal(const std::vector<tsdb::BlockMeta>& metas, const Status& err);
  // The blocks a store gateway serves now.
  void SetLoaded(const std::vector<tsdb::BlockMeta>& metas, const Status& err);

  // Registers the routes; the API must outlive the router.
  void Register(server::Router& router);

 private:
  struct View {
    std::string blocks_json = "[]";  // the metas, a JSON array
    int64_t refreshed_at_ms = 0;
    std::string err;
  };
  // Builds the list outside the lock, then swaps it in.
  void Update(View* view, const std::vector<tsdb::BlockMeta>& metas, const Status& err);
  std::string Answer(const View& v) const;

  const std::string label_;
  const bool disable_admin_;
  objstore::Bucket* const bucket_;
  mutable std::mutex mu_;
  View global_, loaded_;
};

}  // namespace strata::ui
