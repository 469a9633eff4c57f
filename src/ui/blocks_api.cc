#include "ui/blocks_api.h"

#include <nlohmann/json.hpp>

#include "base/timestamp.h"
#include "base/ulid.h"
#include "block/block.h"
#include "server/http_server.h"

namespace strata::ui {
namespace {

using server::HttpRequest;
using server::HttpResponse;

std::string JsonString(std::string_view s) { return nlohmann::json(s).dump(); }

HttpResponse BadData(const std::string& msg) {
  return {400,
          "application/json",
          R"({"status":"error","errorType":"bad_data","error":)" + JsonString(msg) + "}",
          {}};
}

}  // namespace

void BlocksApi::Update(View* view, const std::vector<tsdb::BlockMeta>& metas, const Status& err) {
  std::string json;
  if (err.ok()) {
    // Each block's meta.json as it is written (Thanos answers metadata.Meta, the same document;
    // fields Strata does not know are kept).
    json = "[";
    for (const auto& m : metas) {
      if (json.size() > 1) json += ",";
      json += tsdb::SerializeBlockMeta(m);
    }
    json += "]";
  }
  std::lock_guard l(mu_);
  view->refreshed_at_ms = NowMs();
  view->err = err.ok() ? "" : err.ToString();
  if (err.ok()) view->blocks_json = std::move(json);  // on error the last list stays
}

void BlocksApi::SetGlobal(const std::vector<tsdb::BlockMeta>& metas, const Status& err) {
  Update(&global_, metas, err);
}

void BlocksApi::SetLoaded(const std::vector<tsdb::BlockMeta>& metas, const Status& err) {
  Update(&loaded_, metas, err);
}

std::string BlocksApi::Answer(const View& v) const {
  std::string out = R"({"status":"success","data":{"label":)" + JsonString(label_) +
                    ",\"blocks\":" + v.blocks_json + ",\"refreshedAt\":" +
                    (v.refreshed_at_ms == 0 ? "\"0001-01-01T00:00:00Z\""
                                            : JsonString(FormatRfc3339Ms(v.refreshed_at_ms))) +
                    ",\"err\":" + (v.err.empty() ? "null" : JsonString(v.err)) + "}}";
  return out;
}

void BlocksApi::Register(server::Router& router) {
  router.Handle("/api/v1/blocks", [this](const HttpRequest& req) {
    std::string body;
    {
      std::lock_guard l(mu_);
      body = Answer(req.Param("view") == "loaded" ? loaded_ : global_);
    }
    return HttpResponse{200, "application/json", std::move(body), {}};
  });
  router.Handle("/api/v1/blocks/mark", [this](const HttpRequest& req) {
    if (req.method != "POST") {
      return HttpResponse{405, "text/plain; charset=utf-8", "method not allowed: use POST\n", {}};
    }
    if (disable_admin_) return BadData("Admin operations are disabled");
    const std::string id = req.Param("id"), action = req.Param("action");
    if (id.empty()) return BadData("ID cannot be empty");
    if (action.empty()) return BadData("Action cannot be empty");
    if (auto u = Ulid::Parse(id); !u.ok()) {
      return BadData("ULID \"" + id + "\" is not valid: " + u.status().message());
    }
    if (bucket_ == nullptr) return BadData("this component has no bucket to write marks to");
    auto exists = bucket_->Exists(id + "/meta.json");
    if (!exists.ok()) return BadData(exists.status().ToString());
    if (!*exists) return BadData("block " + id + " does not exist in the bucket");
    Status st;
    if (action == "DELETION") {
      st = block::MarkForDeletion(*bucket_, id, req.Param("detail"));
    } else if (action == "NO_COMPACTION") {
      st = block::MarkNoCompact(*bucket_, id, "manual", req.Param("detail"));
    } else {
      return BadData("not supported marker " + action);
    }
    if (!st.ok()) return BadData(st.ToString());
    return HttpResponse{200, "application/json", R"({"status":"success"})", {}};
  });
}

}  // namespace strata::ui
