#include "relabel/relabel.h"

#include <openssl/evp.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <map>

namespace strata::relabel {
namespace {

const std::map<std::string, Action>& Actions() {
  static const std::map<std::string, Action> m = {
      {"replace", Action::kReplace},     {"keep", Action::kKeep},
      {"drop", Action::kDrop},           {"hashmod", Action::kHashMod},
      {"labelmap", Action::kLabelMap},   {"labeldrop", Action::kLabelDrop},
      {"labelkeep", Action::kLabelKeep}, {"lowercase", Action::kLowercase},
      {"uppercase", Action::kUppercase}, {"keepequal", Action::kKeepEqual},
      {"dropequal", Action::kDropEqual},
  };
  return m;
}

}  // namespace

std::string ActionName(Action a) {
  for (const auto& [name, action] : Actions())
    if (action == a) return name;
  return "";
}

namespace {

bool ValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); i++) {
    const char c = s[i];
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
          (i > 0 && std::isdigit(static_cast<unsigned char>(c))))) {
      return false;
    }
  }
  return true;
}

// Expands $1, ${1}, $name and ${name} (Go's regexp.Expand) with the match's groups.
std::string Expand(std::string_view tmpl, const re2::RE2& re,
                   const std::vector<re2::StringPiece>& g) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); i++) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out.push_back(tmpl[i]);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      i++;
      continue;
    }
    size_t j = i + 1;
    std::string name;
    if (tmpl[j] == '{') {
      const size_t close = tmpl.find('}', j);
      if (close == std::string_view::npos) {
        out.push_back('$');
        continue;
      }
      name = std::string(tmpl.substr(j + 1, close - j - 1));
      j = close + 1;
    } else {
      while (j < tmpl.size() &&
             (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
        j++;
      }
      name = std::string(tmpl.substr(i + 1, j - i - 1));
    }
    if (name.empty()) {
      out.push_back('$');
      continue;
    }
    int idx = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      idx = name.size() < 4 ? std::stoi(name) : -1;
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      if (it != re.NamedCapturingGroups().end()) idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < g.size()) out.append(g[idx].data(), g[idx].size());
    i = j - 1;
  }
  return out;
}

uint64_t HashMod(std::string_view s, uint64_t modulus) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_md5(), nullptr);
  uint64_t v = 0;  // Prometheus's sum64: the last 8 bytes of the MD5, big-endian
  for (unsigned int i = n - 8; i < n; i++) v = (v << 8) | md[i];
  return v % modulus;
}

Labels SetLabel(const Labels& l, const std::string& name, const std::string& value) {
  return value.empty() ? l.Without(name) : l.With(name, value);
}

}  // namespace

Result<std::vector<Config>> ParseConfigs(std::string_view yaml) {
  std::vector<Config> out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("relabel config: ") + e.what());
  }
  if (!root || root.IsNull()) return out;
  if (!root.IsSequence()) return Status::InvalidArgument("relabel config must be a list");
  for (size_t i = 0; i < root.size(); i++) {
    const YAML::Node n = root[i];
    const std::string where = "relabel config entry " + std::to_string(i + 1);
    if (!n.IsMap()) return Status::InvalidArgument(where + " is not a mapping");
    Config c;
    std::string regex = "(.*)";
    try {
      for (const auto& kv : n) {
        const auto key = kv.first.as<std::string>();
        if (key == "source_labels") {
          for (const auto& s : kv.second) c.source_labels.push_back(s.as<std::string>());
        } else if (key == "separator") {
          c.separator = kv.second.as<std::string>();
        } else if (key == "regex") {
          regex = kv.second.as<std::string>();
        } else if (key == "target_label") {
          c.target_label = kv.second.as<std::string>();
        } else if (key == "replacement") {
          c.replacement = kv.second.as<std::string>();
        } else if (key == "modulus") {
          c.modulus = kv.second.as<uint64_t>();
        } else if (key == "action") {
          std::string a = kv.second.as<std::string>();
          for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          auto it = Actions().find(a);
          if (it == Actions().end()) {
            return Status::InvalidArgument(where + ": unknown relabel action \"" + a + "\"");
          }
          c.action = it->second;
        } else {
          return Status::InvalidArgument(where + ": unknown field \"" + key + "\"");
        }
      }
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(where + ": " + e.what());
    }
    auto re = std::make_shared<re2::RE2>("^(?:" + regex + ")$", re2::RE2::Quiet);
    if (!re->ok()) {
      return Status::InvalidArgument(where + ": invalid regex \"" + regex + "\": " + re->error());
    }
    c.regex = std::move(re);
    const bool needs_target = c.action == Action::kReplace || c.action == Action::kHashMod ||
                              c.action == Action::kLowercase || c.action == Action::kUppercase ||
                              c.action == Action::kKeepEqual || c.action == Action::kDropEqual;
    if (needs_target && c.target_label.empty()) {
      return Status::InvalidArgument(where + ": relabel configuration for " +
                                     "this action requires 'target_label'");
    }
    if (c.action == Action::kHashMod && c.modulus == 0) {
      return Status::InvalidArgument(where +
                                     ": relabel configuration for hashmod requires "
                                     "non-zero modulus");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<Labels> Process(const Labels& labels, const std::vector<Config>& configs) {
  Labels l = labels;
  for (const Config& c : configs) {
    std::string val;
    for (size_t i = 0; i < c.source_labels.size(); i++) {
      if (i > 0) val += c.separator;
      val += l.Get(c.source_labels[i]);
    }
    const re2::RE2& re = *c.regex;
    switch (c.action) {
      case Action::kKeep:
        if (!re2::RE2::FullMatch(val, re)) return std::nullopt;
        break;
      case Action::kDrop:
        if (re2::RE2::FullMatch(val, re)) return std::nullopt;
        break;
      case Action::kKeepEqual:
        if (l.Get(c.target_label) != val) return std::nullopt;
        break;
      case Action::kDropEqual:
        if (l.Get(c.target_label) == val) return std::nullopt;
        break;
      case Action::kReplace: {
        std::vector<re2::StringPiece> g(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
        if (!re.Match(val, 0, val.size(), re2::RE2::UNANCHORED, g.data(),
                      static_cast<int>(g.size()))) {
          break;
        }
        const std::string target = Expand(c.target_label, re, g);
        if (!ValidLabelName(target)) break;
        l = SetLabel(l, target, Expand(c.replacement, re, g));
        break;
      }
      case Action::kLowercase:
      case Action::kUppercase: {
        for (auto& ch : val) {
          ch = static_cast<char>(c.action == Action::kLowercase
                                     ? std::tolower(static_cast<unsigned char>(ch))
                                     : std::toupper(static_cast<unsigned char>(ch)));
        }
        l = SetLabel(l, c.target_label, val);
        break;
      }
      case Action::kHashMod:
        l = SetLabel(l, c.target_label, std::to_string(HashMod(val, c.modulus)));
        break;
      case Action::kLabelMap: {
        Labels next = l;
        for (const auto& x : l) {
          std::vector<re2::StringPiece> g(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
          if (re.Match(x.name, 0, x.name.size(), re2::RE2::UNANCHORED, g.data(),
                       static_cast<int>(g.size()))) {
            next = SetLabel(next, Expand(c.replacement, re, g), x.value);
          }
        }
        l = std::move(next);
        break;
      }
      case Action::kLabelDrop:
      case Action::kLabelKeep: {
        Labels next = l;
        for (const auto& x : l) {
          const bool match = re2::RE2::FullMatch(x.name, re);
          if (match == (c.action == Action::kLabelDrop)) next = next.Without(x.name);
        }
        l = std::move(next);
        break;
      }
    }
  }
  return l;
}

}  // namespace strata::relabel
