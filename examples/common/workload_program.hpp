// The frame every example's workload program shares: `--dsn` (default $SABOT_DSN) and `--setup`
// on top of the example's own options, then either (re-)create the example's tables or run the
// workload. Errors are printed as "workload: <what>" with exit status 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "pg_session.hpp"

namespace sabot::examples {

struct WorkloadProgram {
  // (Re-)creates the example's tables; prints what it created.
  std::function<void(PgSession&)> setup;
  // Runs the workload; prints its summary.
  std::function<void(PgSession&)> run;
};

// Adds --dsn and --setup to `app`, parses argv, connects and runs program.setup or program.run.
// Returns the process exit status.
int run_workload_program(CLI::App& app, int argc, char** argv, const WorkloadProgram& program);

}  // namespace sabot::examples
