// Helpers for the caches' YAML configs (Thanos's keys; unknown keys are errors naming them).
// Includes yaml-cpp: only for the .cc files that parse configs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata::cache {

// An error naming the first key of `node` (a mapping, or absent) not in `known`.
Status CheckKeys(const YAML::Node& node, const std::set<std::string>& known, std::string_view what);
// A byte size ("250MB", "1MiB", 1024) or duration ("500ms", "24h") field, or def when absent.
Result<uint64_t> SizeField(const YAML::Node& c, const char* key, uint64_t def,
                           std::string_view what);
Result<int64_t> DurationField(const YAML::Node& c, const char* key, int64_t def,
                              std::string_view what);
// Parses text (after ${VAR} expansion by the caller) into a node, or an error naming `what`.
Result<YAML::Node> LoadYaml(std::string_view text, std::string_view what);

}  // namespace strata::cache
