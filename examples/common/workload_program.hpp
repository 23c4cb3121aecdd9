// The frame every example's workload program shares: `--dsn` (default $SABOT_DSN), `--setup`,
// `--cleanup` and `--check-args` on top of the example's own options, then either (re-)create the
// example's tables in its own schema, drop that schema, only check the arguments, or run the
// workload. Errors are printed as "workload: <what>" with exit status 1; usage errors exit 2.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "pg_session.hpp"

namespace sabot::examples {

struct WorkloadProgram {
  // The example's own schema (ex01, ...), which `setup` claims (example_schema.hpp) and --cleanup
  // drops.
  std::string schema;
  // (Re-)creates the example's tables in that schema; prints what it created.
  std::function<void(PgSession&)> setup;
  // Runs the workload; prints its summary.
  std::function<void(PgSession&)> run;
};

// Adds the common flags to `app`, parses argv, connects and runs what was asked.
// Returns the process exit status.
int run_workload_program(CLI::App& app, int argc, char** argv, const WorkloadProgram& program);

// Adds --transactions, --seed and --pause-ms (examples 01 and 04); `pause_ms` holds --pause-ms
// until the program turns it into its options' pause after parsing.
void add_random_change_flags(CLI::App& app, int& transactions, uint32_t& seed, int& pause_ms);

// Runs `transactions` transactions of 1 to 3 changes each (`next_change` returns each change's SQL
// statements), pausing `pause` between them, then writes the done message
// (common/transactions.hpp). `random` picks the number of changes.
void run_random_changes(PgSession& db, int transactions, std::chrono::milliseconds pause,
                        std::mt19937& random, const std::function<std::string()>& next_change);

}  // namespace sabot::examples
