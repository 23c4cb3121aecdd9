// sabot-cdc: command-line front end. Parses flags and wires the library; no logic of its own.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"

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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
