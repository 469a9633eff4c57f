// Prometheus relabelling (relabel_config), used by the store gateway's and compactor's
// --selector.relabel-config to pick blocks by their external labels (plus __block_id).
// Actions: replace, keep, drop, hashmod, labelmap, labeldrop, labelkeep, lowercase,
// uppercase, keepequal, dropequal — with Prometheus's defaults (separator ";", regex "(.*)"
// anchored at both ends, replacement "$1") and RE2 for every regex.
// Thread-safety: configs are immutable after parsing and may be shared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/labels.h"
#include "base/status.h"

namespace re2 {
class RE2;
}

namespace strata::relabel {

enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
  kKeepEqual,
  kDropEqual,
};

struct Config {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::shared_ptr<const re2::RE2> regex;  // anchored
  std::string target_label;
  std::string replacement = "$1";
  uint64_t modulus = 0;
  Action action = Action::kReplace;
};

// The action's name in the YAML ("replace", "labeldrop", ...).
std::string ActionName(Action a);

// Parses a YAML list of relabel configs; errors name the entry and field.
Result<std::vector<Config>> ParseConfigs(std::string_view yaml);

// Applies the configs in order; nullopt when a keep/drop step drops the label set.
std::optional<Labels> Process(const Labels& labels, const std::vector<Config>& configs);

}  // namespace strata::relabel
