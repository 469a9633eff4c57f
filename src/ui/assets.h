// The files of web/dist, compiled into the binary (see embed_assets.cmake).
#pragma once

#include <span>
#include <string_view>

namespace strata::ui {

struct EmbeddedAsset {
  std::string_view path;  // "/index.html", "/static/app-<hash>.js", ...
  std::string_view data;
};

std::span<const EmbeddedAsset> EmbeddedAssets();

}  // namespace strata::ui
