#include "cache/yaml_util.h"

#include "base/bytesize.h"
#include "base/duration.h"

namespace strata::cache {

Status CheckKeys(const YAML::Node& node, const std::set<std::string>& known,
                 std::string_view what) {
  if (!node || node.IsNull()) return Status::OK();
  if (!node.IsMap()) return Status::InvalidArgument(std::string(what) + " must be a mapping");
  for (const auto& kv : node) {
    const auto k = kv.first.as<std::string>();
    if (!known.contains(k)) {
      return Status::InvalidArgument(std::string(what) + ": unknown field \"" + k + "\"");
    }
  }
  return Status::OK();
}

Result<uint64_t> SizeField(const YAML::Node& c, const char* key, uint64_t def,
                           std::string_view what) {
  if (!c || !c.IsMap() || !c[key]) return def;
  auto v = ParseByteSize(c[key].as<std::string>());
  if (!v.ok()) return v.status().WithContext(std::string(what) + ": " + key);
  return *v;
}

Result<int64_t> DurationField(const YAML::Node& c, const char* key, int64_t def,
                              std::string_view what) {
  if (!c || !c.IsMap() || !c[key]) return def;
  auto v = ParseDuration(c[key].as<std::string>());
  if (!v.ok()) return v.status().WithContext(std::string(what) + ": " + key);
  return *v;
}

Result<YAML::Node> LoadYaml(std::string_view text, std::string_view what) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + e.what());
  }
}

}  // namespace strata::cache
