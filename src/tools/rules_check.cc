#include "tools/rules_check.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "base/duration.h"
#include "base/labels.h"
#include "promql/parser.h"

namespace strata::tools {
namespace {

std::string At(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? "" : std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

// Keys of a mapping not among `allowed`, as errors.
void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& in,
               std::vector<std::string>* errors) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>("");
    if (!allowed.contains(key))
      errors->push_back(At(kv.first) + "field " + key + " not found in " + in);
  }
}

void CheckLabels(const YAML::Node& node, const std::string& what, const std::string& where,
                 std::vector<std::string>* errors) {
  if (!node) return;
  if (!node.IsMap()) {
    errors->push_back(At(node) + where + what + " must be a mapping");
    return;
  }
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>("");
    if (!IsValidLabelName(name) || (what == "labels" && name == "__name__"))
      errors->push_back(At(kv.first) + where + "invalid " + what + " name: " + name);
    if (!kv.second.IsScalar())
      errors->push_back(At(kv.second) + where + what + " " + name + " must be a string");
  }
}

void CheckRule(const YAML::Node& r, const std::string& where, std::vector<std::string>* errors) {
  if (!r.IsMap()) {
    errors->push_back(At(r) + where + "a rule must be a mapping");
    return;
  }
  CheckKeys(r, {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"},
            "rule", errors);
  // As Prometheus's rulefmt: an empty record or alert counts as not set.
  const bool record = !r["record"].as<std::string>("").empty(),
             alert = !r["alert"].as<std::string>("").empty();
  if (record && alert)
    errors->push_back(At(r) + where + "only one of 'record' and 'alert' must be set");
  if (!record && !alert)
    errors->push_back(At(r) + where + "one of 'record' or 'alert' must be set");
  if (!r["expr"] || r["expr"].as<std::string>("").empty()) {
    errors->push_back(At(r) + where + "field 'expr' must be set in rule");
  } else if (auto e = promql::ParseExpr(r["expr"].as<std::string>()); !e.ok()) {
    errors->push_back(At(r["expr"]) + where +
                      "could not parse expression: " + e.status().message());
  }
  if (record) {
    const std::string name = r["record"].as<std::string>("");
    if (!IsValidMetricName(name))
      errors->push_back(At(r["record"]) + where + "invalid recording rule name: " + name);
    for (const char* f : {"annotations", "for", "keep_firing_for"})
      if (r[f]) errors->push_back(At(r[f]) + where + "invalid field '" + f + "' in recording rule");
  }
  for (const char* f : {"for", "keep_firing_for"}) {
    if (r[f] && !ParseDuration(r[f].as<std::string>("")).ok())
      errors->push_back(At(r[f]) + where + "invalid duration in '" + f +
                        "': " + r[f].as<std::string>(""));
  }
  CheckLabels(r["labels"], "labels", where, errors);
  CheckLabels(r["annotations"], "annotation", where, errors);
}

}  // namespace

RuleFileCheck CheckRuleFile(std::string_view yaml) {
  RuleFileCheck out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    out.errors.push_back("yaml: " + std::to_string(e.mark.line + 1) + ":" +
                         std::to_string(e.mark.column + 1) + ": " + e.msg);
    return out;
  }
  if (root.IsNull()) {
    out.errors.push_back("the file is empty (want a mapping with groups)");
    return out;
  }
  if (!root.IsMap()) {
    out.errors.push_back(At(root) + "want a mapping with groups");
    return out;
  }
  CheckKeys(root, {"groups"}, "the rule file", &out.errors);
  const YAML::Node groups = root["groups"];
  if (groups && !groups.IsSequence()) out.errors.push_back(At(groups) + "groups must be a list");
  std::set<std::string> seen;
  for (size_t gi = 0; groups && groups.IsSequence() && gi < groups.size(); gi++) {
    const YAML::Node g = groups[gi];
    if (!g.IsMap()) {
      out.errors.push_back(At(g) + "a group must be a mapping");
      continue;
    }
    CheckKeys(g, {"name", "interval", "limit", "rules", "partial_response_strategy"}, "group",
              &out.errors);
    const std::string name = g["name"].as<std::string>("");
    if (name.empty()) out.errors.push_back(At(g) + "Groupname should not be empty");
    if (!name.empty() && !seen.insert(name).second)
      out.errors.push_back(At(g["name"]) + "groupname: \"" + name +
                           "\" is repeated in the same file");
    if (g["interval"] && !ParseDuration(g["interval"].as<std::string>("")).ok())
      out.errors.push_back(At(g["interval"]) + "group \"" + name + "\": invalid interval " +
                           g["interval"].as<std::string>(""));
    if (g["limit"]) {
      try {
        (void)g["limit"].as<int>();
      } catch (const YAML::Exception&) {
        out.errors.push_back(At(g["limit"]) + "group \"" + name + "\": limit must be an integer");
      }
    }
    if (const YAML::Node s = g["partial_response_strategy"]; s) {
      std::string v = s.as<std::string>("");
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!v.empty() && v != "warn" && v != "abort")
        out.errors.push_back(At(s) + "failed to unmarshal \"" + s.as<std::string>("") +
                             "\" as 'partial_response_strategy'. Possible values are ABORT,WARN");
    }
    const YAML::Node rules = g["rules"];
    if (rules && !rules.IsSequence()) {
      out.errors.push_back(At(rules) + "group \"" + name + "\": rules must be a list");
      continue;
    }
    for (size_t ri = 0; rules && ri < rules.size(); ri++) {
      const YAML::Node r = rules[ri];
      std::string rule_name;
      if (r.IsMap())
        rule_name = r["record"] ? r["record"].as<std::string>("") : r["alert"].as<std::string>("");
      CheckRule(
          r, "group \"" + name + "\", rule " + std::to_string(ri + 1) + ", \"" + rule_name + "\": ",
          &out.errors);
      out.rules++;
    }
  }
  if (!out.errors.empty()) out.rules = 0;
  return out;
}

}  // namespace strata::tools
