// The sabot-cdc subcommands. Each registers its flags on a CLI11 app and runs when chosen; each
// returns the process exit code and reports errors as "sabot-cdc: error: ..." on stderr.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "sabot/config.hpp"

namespace sabot {
class MetricsServer;
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

// --log-format (text|json) and --log-level: sets how this process logs (errors included) and
// returns the PostgresCdcConfig::log callback. Throws CdcError{Config} for a bad value.
std::function<void(std::string_view)> configure_logging(const std::string& format,
                                                        const std::string& level,
                                                        const std::string& slot);

// Runs a subcommand body; a CdcError becomes "sabot-cdc: error: ..." on stderr and exit code 1.
int run_reporting_errors(const std::function<int()>& body);

// Splits "a,b , c" into patterns (commas inside double quotes are kept).
std::vector<std::string> split_patterns(const std::string& text);

}  // namespace sabot::cli
