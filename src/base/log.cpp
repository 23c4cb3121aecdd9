// Logger and redact_secrets (include/sabot/log.hpp).
#include "sabot/log.hpp"

#include <chrono>
#include <ctime>
#include <regex>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot {

namespace {

constexpr const char* kHidden = "********";

void append_json(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// ISO 8601 UTC with milliseconds; gmtime_r because fmt's time_point formatting differs between
// versions in the time zone it uses.
std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms.count()));
}

}  // namespace

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
  }
  return "";
}

LogLevel parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::Debug;
  if (text == "info") return LogLevel::Info;
  if (text == "warning" || text == "warn") return LogLevel::Warning;
  if (text == "error") return LogLevel::Error;
  throw CdcError(ErrorKind::Config,
                 fmt::format("log level '{}' is not one of debug, info, warning, error", text));
}

LogFormat parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::Text;
  if (text == "json") return LogFormat::Json;
  throw CdcError(ErrorKind::Config, fmt::format("log format '{}' is not text or json", text));
}

std::string redact_secrets(std::string_view text) {
  // Compiled once: redaction runs on every log line and error message.
  static const std::regex conninfo(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'"]+))",
                                   std::regex::icase);
  static const std::regex uri(R"(([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@)", std::regex::icase);
  std::string out = std::regex_replace(std::string(text), conninfo, std::string("$1") + kHidden);
  return std::regex_replace(out, uri, std::string("$1") + kHidden + "@");
}

Logger::Logger(LogFormat format, LogLevel min_level, std::string slot, std::FILE* out)
    : format_(format),
      min_level_(min_level),
      slot_(std::move(slot)),
      out_(out),
      lock_(std::make_shared<std::mutex>()) {}

void Logger::log(LogLevel level, std::string_view message, const LogFields& fields) const {
  if (!enabled(level)) return;
  std::string line;
  try {
    if (format_ == LogFormat::Json) {
      line =
          fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"slot\":", now_utc(), to_string(level));
      append_json(line, slot_);
      line += ",\"message\":";
      append_json(line, redact_secrets(message));
      line += ",\"fields\":{";
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) line += ',';
        append_json(line, fields[i].first);
        line += ':';
        append_json(line, redact_secrets(fields[i].second));
      }
      line += "}}\n";
    } else {
      line = fmt::format("{} {} {}{}", now_utc(), to_string(level),
                         slot_.empty() ? "" : "[" + slot_ + "] ", redact_secrets(message));
      for (const auto& [key, value] : fields)
        line += fmt::format(" {}={}", key, redact_secrets(value));
      line += '\n';
    }
  } catch (...) {
    return;  // formatting failed (out of memory): drop the line, never the stream
  }
  std::lock_guard guard(*lock_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

std::function<void(std::string_view)> Logger::connector_log(LogLevel level) const {
  return [self = *this, level](std::string_view message) { self.log(level, message); };
}

}  // namespace sabot
