// The sabot-cdc subcommands. Each registers its flags on a CLI11 app and runs when chosen; each
// returns the process exit code and reports errors as "sabot-cdc: error: ..." on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/config.hpp"
#include "sabot/log.hpp"

namespace sabot {
class MetricsServer;
class SlotWatcher;
}

namespace sabot::cli {

// Connection flags shared by every subcommand.
struct ConnectionFlags {
  std::string dsn;
  void add_to(CLI::App& app);
  PostgresCdcConfig to_config() const;
};

void register_stream(CLI::App& app, int& exit_code);
void register_init(CLI::App& app, int& exit_code);
void register_slots(CLI::App& app, int& exit_code);
void register_status(CLI::App& app, int& exit_code);
void register_check(CLI::App& app, int& exit_code);
void register_run(CLI::App& app, int& exit_code);
void register_snapshot(CLI::App& app, int& exit_code);

// With a non-empty HOST:PORT: gives `config` a StreamMetrics and serves it (metrics.hpp) until
// the returned server is destroyed; null otherwise. Throws CdcError{Config} if it cannot listen.
std::unique_ptr<MetricsServer> start_metrics_server(const std::string& listen,
                                                    PostgresCdcConfig& config,
                                                    const std::string& sink_label,
                                                    int64_t warn_retained_bytes);

// Without --metrics-listen (which watches the slot itself) and with a positive threshold: watches
// the slot and logs a warning when it retains more WAL than warn_retained_bytes; null otherwise.
std::unique_ptr<SlotWatcher> start_slot_watcher(const std::string& listen,
                                                const PostgresCdcConfig& config,
                                                int64_t warn_retained_bytes);

// --log-format (text|json) and --log-level: sets how this process logs (errors included) and
// returns the PostgresCdcConfig::log callback. Throws CdcError{Config} for a bad value.
std::function<void(std::string_view)> configure_logging(const std::string& format,
                                                        const std::string& level,
                                                        const std::string& slot);

// --log-format and --log-level on a subcommand other than `stream`: its errors and warnings (not
// its normal stdout output) are written as log_line() says.
void add_log_flags(CLI::App& cmd);
// An error or warning of a subcommand on stderr: "sabot-cdc: warning: ..." in text mode (when the
// level is at least --log-level), a JSON object in json mode; passwords hidden either way.
void log_line(LogLevel level, const std::string& message);

// Runs a subcommand body; a CdcError becomes "sabot-cdc: error: ..." on stderr and exit code 1.
int run_reporting_errors(const std::function<int()>& body);

// Splits "a,b , c" into patterns (commas inside double quotes are kept).
std::vector<std::string> split_patterns(const std::string& text);

}  // namespace sabot::cli
