#include "behavtrack/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace bt {
namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warning";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "";
  }
  return "";
}

void stderr_sink(LogLevel level, std::string_view line) {
  std::fprintf(stderr, "behavtrack %s: %.*s\n", level_name(level), static_cast<int>(line.size()),
               line.data());
}

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
LogSink& sink() {
  static LogSink s = stderr_sink;
  return s;
}
std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{LogLevel::kInfo};
  return level;
}

}  // namespace

void set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = s ? std::move(s) : LogSink(stderr_sink);
}
void set_log_level(LogLevel level) { level_ref() = level; }
LogLevel log_level() { return level_ref(); }

void log_line(LogLevel level, std::string_view message) {
  if (level < log_level()) return;
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink()(level, message);
}

}  // namespace bt
