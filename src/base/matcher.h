// Label matchers (=, !=, =~, !~) with Prometheus semantics: regexes are fully anchored and use
// RE2 syntax (linear time, no ReDoS); a missing label matches as the empty string. Regexes that
// are plain literals, alternations of literals ("a|b|c") or a literal prefix followed by ".*"
// are answered without running the regex engine.
// Thread-safety: immutable after Make; safe to share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace strata {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // Fails with InvalidArgument if the regex does not compile.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  bool Matches(std::string_view v) const;
  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  bool IsNegative() const {
    return type_ == MatchType::kNotEqual || type_ == MatchType::kRegexNoMatch;
  }

  // For =~ and !~ on an alternation of literals: the literals (sorted); otherwise empty.
  const std::vector<std::string>& SetMatches() const { return set_; }
  // name="value" in PromQL syntax.
  std::string String() const;

 private:
  bool MatchesPositive(std::string_view v) const;

  MatchType type_ = MatchType::kEqual;
  std::string name_, value_;
  std::shared_ptr<const re2::RE2> re_;  // only for regexes needing the engine
  std::vector<std::string> set_;        // literal alternation fast path
  std::string prefix_;                  // literal prefix fast path ("abc.*")
  bool prefix_only_ = false;            // the regex is exactly prefix_ + ".*"
  bool has_set_ = false;
};

using Matchers = std::vector<Matcher>;

// Prometheus text of a selector's matchers, e.g. {job="a", env=~"p.*"}.
std::string MatchersString(const Matchers& ms);

}  // namespace strata
