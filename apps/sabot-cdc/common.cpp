#include <cstdio>

#include "commands.hpp"
#include "sabot/error.hpp"
#include "sabot/log.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::cli {

namespace {

// The process's log settings: text lines on stderr until a command sets --log-format/--log-level.
struct CliLog {
  LogFormat format = LogFormat::Text;
  LogLevel level = LogLevel::Info;
  Logger logger;
};

CliLog& cli_log() {
  static CliLog log;
  return log;
}

// Errors keep their "sabot-cdc: error:" form in text mode (scripts grep for it), and become a
// JSON object in json mode; the password is hidden either way.
void report_error(const std::string& message) {
  log_line(LogLevel::Error, message);
}

}  // namespace

void log_line(LogLevel level, const std::string& message) {
  CliLog& log = cli_log();
  if (log.format == LogFormat::Json) {
    log.logger.log(level, message);
  } else if (level >= log.level) {
    std::fprintf(stderr, "sabot-cdc: %s: %s\n", to_string(level), redact_secrets(message).c_str());
  }
}

std::function<void(std::string_view)> configure_logging(const std::string& format,
                                                        const std::string& level,
                                                        const std::string& slot) {
  cli_log().format = parse_log_format(format);
  cli_log().level = parse_log_level(level);
  cli_log().logger = Logger(cli_log().format, cli_log().level, slot);
  return cli_log().logger.connector_log();
}

void add_log_flags(CLI::App& cmd) {
  // Shared by every subcommand but `stream` (whose flags the config file also sets); one runs.
  static std::string format = "text";
  static std::string level = "info";
  // each() runs as the value is parsed, before the option stores it: take the value given.
  const auto set_format = [](const std::string& value) {
    format = value;
    configure_logging(format, level, "");
  };
  const auto set_level = [](const std::string& value) {
    level = value;
    configure_logging(format, level, "");
  };
  cmd.add_option("--log-format", format,
                 "how errors and warnings are written to stderr: text, or json (one JSON object "
                 "per line: time, level, message); the command's own output is unchanged")
      ->check(CLI::IsMember({"text", "json"}))
      ->each(set_format)
      ->capture_default_str();
  cmd.add_option("--log-level", level,
                 "the least severe lines written: debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->each(set_level)
      ->capture_default_str();
}

void ConnectionFlags::add_to(CLI::App& app) {
  app.add_option("--dsn", dsn,
                 "libpq connection string or URI (default: PGHOST, PGPORT, PGUSER, PGPASSWORD, "
                 "PGDATABASE and ~/.pgpass, as for psql)")
      ->envname("SABOT_DSN");
}

PostgresCdcConfig ConnectionFlags::to_config() const {
  PostgresCdcConfig config;
  config.dsn = dsn;
  return config;
}

int run_reporting_errors(const std::function<int()>& body) {
  try {
    return body();
  } catch (const CdcError& e) {
    report_error(e.what());
    return 1;
  } catch (const std::exception& e) {
    // The library only throws CdcError; anything else is a bug, still reported, never terminate.
    report_error(std::string("internal error: ") + e.what());
    return 1;
  } catch (...) {
    report_error("internal error: an unknown exception");
    return 1;
  }
}

std::vector<std::string> split_patterns(const std::string& text) {
  return split_table_patterns(text);
}

}  // namespace sabot::cli
