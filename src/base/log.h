// Structured logging to stderr in Thanos's formats: logfmt (default) or JSON, one line per
// event, with ts, level, msg and key/value pairs. --log.level filters.
// Thread-safety: lines from concurrent callers never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace strata::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// level: debug|info|warn|error; format: logfmt|json; an empty argument changes nothing.
Status Configure(std::string_view level, std::string_view format);

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void Log(Level level, std::string_view msg, Fields fields = {});
inline void Debug(std::string_view msg, Fields f = {}) { Log(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, Fields f = {}) { Log(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, Fields f = {}) { Log(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, Fields f = {}) { Log(Level::kError, msg, f); }

// For fields built at run time (the query-frontend's param_<name> fields).
void Log(Level level, std::string_view msg,
         const std::vector<std::pair<std::string, std::string>>& fields);

// The line as it would be written (without the timestamp), for tests.
std::string Format(Level level, std::string_view msg, Fields fields, bool json);

}  // namespace strata::log
