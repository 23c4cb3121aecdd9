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
  Logger logger;
};

CliLog& cli_log() {
  static CliLog log;
  return log;
}

// Errors keep their "sabot-cdc: error:" form in text mode (scripts grep for it), and become a
// JSON object in json mode; the password is hidden either way.
void report_error(const std::string& message) {
  if (cli_log().format == LogFormat::Json) {
    cli_log().logger.log(LogLevel::Error, message);
  } else {
    std::fprintf(stderr, "sabot-cdc: error: %s\n", redact_secrets(message).c_str());
  }
}

}  // namespace

std::function<void(std::string_view)> configure_logging(const std::string& format,
                                                        const std::string& level,
                                                        const std::string& slot) {
  cli_log().format = parse_log_format(format);
  cli_log().logger = Logger(cli_log().format, parse_log_level(level), slot);
  return cli_log().logger.connector_log();
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
