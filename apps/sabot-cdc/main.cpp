// sabot-cdc: command-line front end. Parses flags and wires the library; no logic of its own.
// Exit codes (README "The command-line tool"): 0 done, 1 an error while running, 2 a usage error
// (unknown flag, missing or bad value), as most Unix tools do; CLI11's own codes (106, 109, ...)
// are not promised to anyone.
#include <malloc.h>

#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {
constexpr int kUsageExitCode = 2;

// The stream frees and allocates the same few hundred kilobytes per batch (events, their column
// lists, libpq results). glibc's default gives the top of the heap back to the kernel after each
// batch, so the next one faults every page in again (about 7 % of a snapshot's CPU, measured with
// perf). Keeping up to this much free memory in the heap avoids that; blocks above the mmap
// threshold (a huge value) are still mapped and unmapped on their own.
constexpr int kTrimThresholdBytes = 32 << 20;
constexpr int kMmapThresholdBytes = 4 << 20;

void tune_malloc() {
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}
}  // namespace

int main(int argc, char** argv) {
  tune_malloc();
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
