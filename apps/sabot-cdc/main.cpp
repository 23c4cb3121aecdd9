// sabot-cdc: command-line front end. Parses flags and wires the library; no logic of its own.
// Exit codes (README "The command-line tool"): 0 done, 1 an error while running, 2 a usage error
// (unknown flag, missing or bad value), as most Unix tools do; CLI11's own codes (106, 109, ...)
// are not promised to anyone.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {
constexpr int kUsageExitCode = 2;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sabot-cdc: stream every committed PostgreSQL row change, in order, with "
               "transaction boundaries"};
  app.require_subcommand(1);
  int exit_code = 0;
  sabot::cli::register_stream(app, exit_code);
  sabot::cli::register_init(app, exit_code);
  sabot::cli::register_slots(app, exit_code);
  sabot::cli::register_status(app, exit_code);
  sabot::cli::register_check(app, exit_code);
  sabot::cli::register_run(app, exit_code);
  sabot::cli::register_snapshot(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);  // prints the help (status 0) or the error
    return status == 0 ? 0 : kUsageExitCode;
  }
  return exit_code;
}
