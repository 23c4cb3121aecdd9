// Logging for long-running processes: human-readable lines or one JSON object per line (for log
// shippers), a minimum level, and passwords hidden from every message.
//
//   sabot::Logger logger(sabot::LogFormat::Json, sabot::LogLevel::Info, "orders_slot");
//   config.log = logger.connector_log();   // the connector's diagnostics, as warnings
//   logger.log(sabot::LogLevel::Info, "started", {{"plugin", "pgoutput"}});
//
// Text:  2026-12-01T22:48:00.123Z warning [orders_slot] message key=value
// JSON:  {"time":"2026-12-01T22:48:00.123Z","level":"warning","slot":"orders_slot",
//         "message":"...","fields":{"key":"value"}}
//
// Ownership: a Logger is a value; copies (and connector_log() callbacks) share its output lock.
// Threading: log() may be called from any thread; lines never interleave.
// Errors: parse_* throw CdcError{Config}; writing never throws (a lost log line is not worth the
// stream).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sabot {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };
enum class LogFormat { Text, Json };
const char* to_string(LogLevel level);  // "debug", "info", "warning", "error"
LogLevel parse_log_level(std::string_view text);
LogFormat parse_log_format(std::string_view text);  // "text" or "json"

// `text` with every password replaced by ********: password=... in a libpq conninfo (quoted or
// not), the password of a URI's user:password@ (postgresql://, redis://, ...), and ?password= /
// &password= query parameters.
std::string redact_secrets(std::string_view text);

using LogFields = std::vector<std::pair<std::string, std::string>>;

class Logger {
 public:
  explicit Logger(LogFormat format = LogFormat::Text, LogLevel min_level = LogLevel::Info,
                  std::string slot = "", std::FILE* out = stderr);

  bool enabled(LogLevel level) const { return level >= min_level_; }
  // One line (message and fields redacted) if `level` is at least the minimum level.
  void log(LogLevel level, std::string_view message, const LogFields& fields = {}) const;
  // A PostgresCdcConfig::log callback: the connector's diagnostics (reconnects, heartbeat and
  // metrics failures) logged at `level`.
  std::function<void(std::string_view)> connector_log(LogLevel level = LogLevel::Warning) const;

 private:
  LogFormat format_;
  LogLevel min_level_;
  std::string slot_;
  std::FILE* out_;
  std::shared_ptr<std::mutex> lock_;
};

}  // namespace sabot
