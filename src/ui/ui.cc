#include "ui/ui.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>

#include "base/encoding.h"
#include "server/http_server.h"
#include "ui/assets.h"

namespace strata::ui {
namespace {

using server::HttpRequest;
using server::HttpResponse;

// Every route of Thanos's React app: bookmarks of pages Strata does not have land on the app,
// which sends them to the component's first page.
constexpr const char* kPagePaths[] = {
    "/",       "/alerts", "/blocks",  "/config",     "/flags",
    "/global", "/graph",  "/loaded",  "/rules",      "/service-discovery",
    "/status", "/stores", "/targets", "/tsdb-status"};

// Assets are named by a hash of their content (web/build.mjs), so browsers may keep them.
constexpr const char* kImmutable = "public, max-age=31536000, immutable";

HttpResponse NotFound() { return {404, "text/plain; charset=utf-8", "404 page not found\n", {}}; }

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size()))
    s->replace(pos, from.size(), to);
}

// One asset and, made on first use, its gzip form (the JS bundle is half a megabyte; the
// server would otherwise compress it again for every browser that loads it).
struct StaticFile {
  std::string_view data;
  std::string content_type;
  std::once_flag gzip_once;
  std::string gzipped;
};

// The prefix placed in the page (links, assets, API calls): sanitized as the router's, and every
// character outside [A-Za-z0-9/._~-] percent-encoded, so one taken from a request header cannot
// close the page's string or tag.
std::string PagePrefix(std::string_view prefix) {
  return UriEncode(server::SanitizePathPrefix(prefix), /*encode_slash=*/false);
}

}  // namespace

std::string_view ContentTypeOf(std::string_view path) {
  static const std::map<std::string_view, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}};
  const size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && path.find('/', dot) == std::string_view::npos) {
    if (auto it = kTypes.find(path.substr(dot)); it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

void RegisterUi(server::Router& router, const UiOptions& opts) {
  std::string index_template;
  auto files = std::make_shared<std::map<std::string, std::unique_ptr<StaticFile>, std::less<>>>();
  for (const EmbeddedAsset& a : EmbeddedAssets()) {
    if (a.path == "/index.html") {
      index_template = std::string(a.data);
      ReplaceAll(&index_template, "{{COMPONENT}}", opts.component);
      ReplaceAll(&index_template, "{{DEFAULT_STEP_SECONDS}}",
                 std::to_string(std::max<int64_t>(1, opts.default_step_ms / 1000)));
      continue;
    }
    auto f = std::make_unique<StaticFile>();
    f->data = a.data;
    f->content_type = std::string(ContentTypeOf(a.path));
    (*files)[std::string(a.path)] = std::move(f);
  }
  auto page = [index_template, opts](const HttpRequest& req) {
    std::string prefix = opts.external_prefix;
    if (prefix.empty() && !opts.prefix_header.empty()) {
      std::string header = opts.prefix_header;
      for (char& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto it = req.headers.find(header); it != req.headers.end()) prefix = it->second;
    }
    if (prefix.empty()) prefix = opts.route_prefix;
    std::string body = index_template;
    ReplaceAll(&body, "{{PATH_PREFIX}}", PagePrefix(prefix));
    return HttpResponse{
        200, "text/html; charset=utf-8", std::move(body), {{"Cache-Control", "no-cache"}}};
  };
  for (const char* path : kPagePaths) router.Handle(path, page);
  router.HandlePrefix("/static/", [files](const HttpRequest& req) {
    auto it = files->find(req.path);
    if (it == files->end()) return NotFound();
    StaticFile& f = *it->second;
    HttpResponse r{200, f.content_type, "", {{"Cache-Control", kImmutable}}};
    auto enc = req.headers.find("accept-encoding");
    if (f.data.size() > 1024 && enc != req.headers.end() &&
        enc->second.find("gzip") != std::string::npos) {
      std::call_once(f.gzip_once, [&f] { f.gzipped = server::Gzip(f.data); });
      r.body = f.gzipped;
      r.headers.push_back({"Content-Encoding", "gzip"});
      r.headers.push_back({"Vary", "Accept-Encoding"});
    } else {
      r.body = std::string(f.data);
    }
    return r;
  });
}

}  // namespace strata::ui
