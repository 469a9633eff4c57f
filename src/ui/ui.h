// The web UI's routes, as Thanos's React app has them: its pages (/graph, /stores, /status,
// /flags for the querier; /blocks for the compactor and `tools bucket web`; /loaded for the
// store gateway) answer with index.html, which carries the component and the path prefix the
// browser must put before every link and API call; /static/ serves the bundled assets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::server {
class Router;
}

namespace strata::ui {

struct UiOptions {
  std::string component;        // "query", "store", "compact" or "bucket"
  std::string external_prefix;  // --web.external-prefix
  std::string prefix_header;    // --web.prefix-header: a proxy's header holding the prefix
  std::string route_prefix;     // --web.route-prefix, the prefix when neither of the above is set
  int64_t default_step_ms = 1000;  // --query.default-step: the Graph page's smallest automatic step
};

void RegisterUi(server::Router& router, const UiOptions& opts);

// The content type served for a file name, by its extension.
std::string_view ContentTypeOf(std::string_view path);

}  // namespace strata::ui
