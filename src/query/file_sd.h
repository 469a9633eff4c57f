// Thanos's --store.sd-files: Prometheus file_sd documents (YAML or JSON lists of
// {targets: [...], labels: {...}}) naming StoreAPI endpoints. Patterns may be globs; the querier
// re-reads them on every endpoint refresh, so edits take effect within seconds.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace strata::query {

// Every target of every file matching pattern. A malformed file is an error naming it.
Result<std::vector<std::string>> ReadFileSd(const std::string& pattern);

// The targets of one file_sd document; `source` names it in errors.
Result<std::vector<std::string>> ParseFileSd(const std::string& text, const std::string& source);

}  // namespace strata::query
