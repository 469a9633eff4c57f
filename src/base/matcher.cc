#include "base/matcher.h"

#include <re2/re2.h>

#include <algorithm>

#include "base/go_format.h"

namespace strata {
namespace {

constexpr std::string_view kMeta = "\\.+*?()|[]{}^$";

bool IsLiteral(std::string_view s) { return s.find_first_of(kMeta) == std::string_view::npos; }

// "a|b|c" with only literal alternatives -> {"a","b","c"}.
bool SplitLiteralAlternation(std::string_view re, std::vector<std::string>* out) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t bar = re.find('|', start);
    std::string_view part = re.substr(start, bar == std::string_view::npos ? re.npos : bar - start);
    if (!IsLiteral(part)) return false;
    parts.emplace_back(part);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  *out = std::move(parts);
  return true;
}

}  // namespace

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) return m;

  if (SplitLiteralAlternation(m.value_, &m.set_)) {
    m.has_set_ = true;
    return m;
  }
  // Compile always, so an invalid regex is rejected even when a fast path would apply.
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(true);  // Prometheus >= 2.47 anchors as ^(?s:...)$
  auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
  if (!re->ok()) {
    return Status::InvalidArgument("error parsing regexp: " + re->error() + ": `" + m.value_ + "`");
  }
  std::string_view v = m.value_;
  if (v.size() >= 2 && v.substr(v.size() - 2) == ".*" && IsLiteral(v.substr(0, v.size() - 2))) {
    m.prefix_ = std::string(v.substr(0, v.size() - 2));
    m.prefix_only_ = true;
  } else {
    size_t meta = v.find_first_of(kMeta);
    // A literal prefix is only safe when what follows does not make it optional or alternate.
    if (meta != std::string_view::npos && meta > 0 && v.find('|') == std::string_view::npos &&
        v[meta] != '?' && v[meta] != '*' && v[meta] != '{') {
      m.prefix_ = std::string(v.substr(0, meta));
    }
  }
  m.re_ = std::move(re);
  return m;
}

bool Matcher::MatchesPositive(std::string_view v) const {
  if (has_set_) return std::binary_search(set_.begin(), set_.end(), v);
  if (!prefix_.empty() && v.substr(0, prefix_.size()) != prefix_) return false;
  if (prefix_only_) return true;
  return RE2::FullMatch(v, *re_);
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegexMatch:
      return MatchesPositive(v);
    case MatchType::kRegexNoMatch:
      return !MatchesPositive(v);
  }
  return false;
}

std::string Matcher::String() const {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  return name_ + std::string(kOps[static_cast<int>(type_)]) + GoQuote(value_);
}

std::string MatchersString(const Matchers& ms) {
  std::string s = "{";
  for (size_t i = 0; i < ms.size(); i++) {
    if (i > 0) s += ", ";
    s += ms[i].String();
  }
  return s + "}";
}

}  // namespace strata
