#include "query/file_sd.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include "base/file.h"

namespace strata::query {

Result<std::vector<std::string>> ParseFileSd(const std::string& text, const std::string& source) {
  std::vector<std::string> out;
  try {
    const YAML::Node root = YAML::Load(text);  // JSON is YAML too
    if (root.IsNull()) return out;
    if (!root.IsSequence())
      return Status::InvalidArgument(source + ": expected a list of {targets: [...]} groups");
    for (size_t i = 0; i < root.size(); i++) {
      const YAML::Node g = root[i];
      if (!g.IsMap() || !g["targets"] || !g["targets"].IsSequence())
        return Status::InvalidArgument(source + ": group " + std::to_string(i) +
                                       " has no targets list");
      for (const auto& t : g["targets"]) out.push_back(t.as<std::string>());
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
  return out;
}

Result<std::vector<std::string>> ReadFileSd(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  struct Free {
    glob_t* g;
    ~Free() { globfree(g); }
  } free_glob{&g};
  std::vector<std::string> out;
  if (rc == GLOB_NOMATCH) return out;
  if (rc != 0) return Status::IOError("--store.sd-files " + pattern + ": glob failed");
  for (size_t i = 0; i < g.gl_pathc; i++) {
    const std::string path = g.gl_pathv[i];
    STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> targets, ParseFileSd(text, path));
    out.insert(out.end(), targets.begin(), targets.end());
  }
  return out;
}

}  // namespace strata::query
