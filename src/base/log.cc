#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <span>

#include "base/timestamp.h"

namespace strata::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_json{false};
std::mutex g_mu;

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

// logfmt quotes values that are empty or hold spaces, quotes, '=' or control characters.
void AppendLogfmtValue(std::string& out, std::string_view s) {
  bool quote = s.empty();
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') quote = true;
  if (quote) {
    AppendJsonString(out, s);
  } else {
    out += s;
  }
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  return FormatRfc3339Ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

}  // namespace

Status Configure(std::string_view level, std::string_view format) {
  int l = level.empty() ? g_min_level.load() : -1;
  for (Level c : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError})
    if (LevelName(c) == level) l = static_cast<int>(c);
  if (l < 0)
    return Status::InvalidArgument("--log.level: unknown level '" + std::string(level) +
                                   "' (debug, info, warn, error)");
  if (!format.empty() && format != "logfmt" && format != "json")
    return Status::InvalidArgument("--log.format: unknown format '" + std::string(format) +
                                   "' (logfmt, json)");
  g_min_level = l;
  if (!format.empty()) g_json = format == "json";
  return Status::OK();
}

namespace {

using FieldSpan = std::span<const std::pair<std::string_view, std::string_view>>;

std::string FormatSpan(Level level, std::string_view msg, FieldSpan fields, bool json) {
  std::string out;
  if (json) {
    out += "{\"level\":\"";
    out += LevelName(level);
    out += "\",\"msg\":";
    AppendJsonString(out, msg);
    for (const auto& [k, v] : fields) {
      out.push_back(',');
      AppendJsonString(out, k);
      out.push_back(':');
      AppendJsonString(out, v);
    }
    out.push_back('}');
    return out;
  }
  out += "level=";
  out += LevelName(level);
  out += " msg=";
  AppendLogfmtValue(out, msg);
  for (const auto& [k, v] : fields) {
    out.push_back(' ');
    out += k;
    out.push_back('=');
    AppendLogfmtValue(out, v);
  }
  return out;
}

void LogSpan(Level level, std::string_view msg, FieldSpan fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  const bool json = g_json.load(std::memory_order_relaxed);
  std::string line = FormatSpan(level, msg, fields, json);
  const std::string ts = Timestamp();
  if (json) {
    line.insert(1, "\"ts\":\"" + ts + "\",");
  } else {
    line.insert(0, "ts=" + ts + " ");
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> l(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string Format(Level level, std::string_view msg, Fields fields, bool json) {
  return FormatSpan(level, msg, FieldSpan(fields.begin(), fields.size()), json);
}

void Log(Level level, std::string_view msg, Fields fields) {
  LogSpan(level, msg, FieldSpan(fields.begin(), fields.size()));
}

void Log(Level level, std::string_view msg,
         const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::pair<std::string_view, std::string_view>> views(fields.begin(), fields.end());
  LogSpan(level, msg, views);
}

}  // namespace strata::log
