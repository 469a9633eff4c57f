// The UI's routes through a Router, as the HTTP server calls it: pages, assets, prefixes.
#include "ui/ui.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include "server/http_server.h"
#include "ui/assets.h"

namespace strata::ui {
namespace {

using server::HttpRequest;
using server::HttpResponse;

HttpResponse Get(const server::Router& r, const std::string& path,
                 std::map<std::string, std::string> headers = {}) {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.headers = std::move(headers);
  return r.Route(req);
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// The bundled script's path, as index.html names it.
std::string ScriptPath() {
  for (const auto& a : EmbeddedAssets()) {
    if (a.path.starts_with("/static/") && a.path.ends_with(".js")) return std::string(a.path);
  }
  return "";
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  std::string out(in.size() * 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(UiTest, EmbedsTheBuiltBundle) {
  bool index = false, css = false;
  for (const auto& a : EmbeddedAssets()) {
    index |= a.path == "/index.html";
    css |= a.path.starts_with("/static/app-") && a.path.ends_with(".css");
  }
  EXPECT_TRUE(index);
  EXPECT_TRUE(css);
  ASSERT_FALSE(ScriptPath().empty());
}

TEST(UiTest, PagesAnswerIndexWithComponentAndNoPrefix) {
  server::Router r;
  RegisterUi(r, {.component = "query"});
  for (const char* page : {"/", "/graph", "/stores", "/status", "/flags", "/blocks"}) {
    HttpResponse res = Get(r, page);
    EXPECT_EQ(res.status, 200) << page;
    EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(Header(res, "Cache-Control"), "no-cache");
    EXPECT_NE(res.body.find(R"(pathPrefix: "", component: "query", defaultStep: 1})"),
              std::string::npos)
        << res.body;
    EXPECT_NE(res.body.find("src=\"" + ScriptPath() + "\""), std::string::npos) << res.body;
  }
  EXPECT_EQ(Get(r, "/nope").status, 404);
}

TEST(UiTest, DefaultStepReachesThePage) {
  server::Router r;
  RegisterUi(r, {.component = "query", .default_step_ms = 30000});
  EXPECT_NE(Get(r, "/graph").body.find("defaultStep: 30}"), std::string::npos);
}

TEST(UiTest, AssetsAreServedWithTypeCachingAndGzip) {
  server::Router r;
  RegisterUi(r, {.component = "compact"});
  const std::string js = ScriptPath();
  HttpResponse plain = Get(r, js);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.content_type, "application/javascript; charset=utf-8");
  EXPECT_EQ(Header(plain, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  EXPECT_GT(plain.body.size(), 100000u);

  HttpResponse gz = Get(r, js, {{"accept-encoding", "gzip, deflate"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(gz, "Vary"), "Accept-Encoding");
  EXPECT_LT(gz.body.size(), plain.body.size() / 2);
  EXPECT_EQ(Gunzip(gz.body), plain.body);

  EXPECT_EQ(Get(r, "/static/app-NOTTHERE.js").status, 404);
  // No way out of the embedded files: they are looked up by exact name, never on disk.
  EXPECT_EQ(Get(r, "/static/../../etc/passwd").status, 404);
  EXPECT_EQ(Get(r, "/static/").status, 404);
}

TEST(UiTest, ContentTypes) {
  EXPECT_EQ(ContentTypeOf("/static/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/static/a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeOf("/static/a.js.map"), "application/json");
  EXPECT_EQ(ContentTypeOf("/static/x.y/noext"), "application/octet-stream");
}

TEST(UiTest, PrefixesAreSanitizedAndEncodedInThePage) {
  EXPECT_EQ(server::SanitizePathPrefix(""), "");
  EXPECT_EQ(server::SanitizePathPrefix("/"), "");
  EXPECT_EQ(server::SanitizePathPrefix("thanos/"), "/thanos");
  EXPECT_EQ(server::SanitizePathPrefix("/a/b//"), "/a/b");
  EXPECT_EQ(server::SanitizePathPrefix("https://example.com/proxy/q/?x=1#f"), "/proxy/q");
  EXPECT_EQ(server::SanitizePathPrefix("https://example.com"), "");
  // Nothing from a header can close the page's string or tag.
  server::Router r;
  RegisterUi(r, {.component = "query", .prefix_header = "X-Prefix"});
  EXPECT_NE(Get(r, "/graph", {{"x-prefix", R"(/p"</script><b>)"}})
                .body.find(R"(pathPrefix: "/p%22%3C/script%3E%3Cb%3E")"),
            std::string::npos);
}

TEST(UiTest, ExternalPrefixWinsOverTheHeaderWhichWinsOverTheRoutePrefix) {
  server::Router a;
  RegisterUi(a, {.component = "query", .external_prefix = "/ext/", .prefix_header = "X-Prefix"});
  HttpResponse res = Get(a, "/graph", {{"x-prefix", "/hdr"}});
  EXPECT_NE(res.body.find(R"(pathPrefix: "/ext")"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("src=\"/ext" + ScriptPath() + "\""), std::string::npos);

  server::Router b;
  RegisterUi(b, {.component = "query", .prefix_header = "X-Prefix", .route_prefix = "/route"});
  EXPECT_NE(Get(b, "/graph", {{"x-prefix", "/hdr"}}).body.find(R"(pathPrefix: "/hdr")"),
            std::string::npos);
  EXPECT_NE(Get(b, "/graph").body.find(R"(pathPrefix: "/route")"), std::string::npos);
}

TEST(RouterTest, RoutePrefixServesRoutesUnderItAndKeepsRootPathsAtTheRoot) {
  server::Router r;
  r.Handle("/api/v1/query", [](const HttpRequest& req) {
    return HttpResponse{200, "text/plain", "query at " + req.path, {}};
  });
  r.HandlePrefix("/api/v1/label/", [](const HttpRequest& req) {
    return HttpResponse{200, "text/plain", "label at " + req.path, {}};
  });
  r.HandleAtRoot("/metrics", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "metrics", {}};
  });
  r.SetRoutePrefix("thanos/");
  EXPECT_EQ(r.route_prefix(), "/thanos");
  EXPECT_EQ(Get(r, "/thanos/api/v1/query").body, "query at /api/v1/query");
  EXPECT_EQ(Get(r, "/thanos/api/v1/label/job/values").body, "label at /api/v1/label/job/values");
  EXPECT_EQ(Get(r, "/api/v1/query").status, 404);
  EXPECT_EQ(Get(r, "/thanosx/api/v1/query").status, 404);
  EXPECT_EQ(Get(r, "/metrics").body, "metrics");
  HttpResponse root = Get(r, "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(Header(root, "Location"), "/thanos/");
}

}  // namespace
}  // namespace strata::ui
