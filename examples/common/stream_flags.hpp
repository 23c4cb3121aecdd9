// The connection flags every example program takes, and the PostgresCdcConfig they make.
//   --dsn CONNINFO        (default: $SABOT_DSN, else libpq's PG* variables)
//   --slot NAME  --publication NAME  --plugin pgoutput|wal2json  --end-lsn LSN  --check-args
//   --snapshot: read the rows that already exist first (op read), so figures are right from the
//               first line on a database that already has data
#pragma once

#include <CLI/CLI.hpp>
#include <sabot/config.hpp>
#include <string>

namespace sabot::examples {

struct StreamFlags {
  std::string dsn;
  std::string slot;
  std::string publication;
  std::string plugin = "pgoutput";
  std::string end_lsn;
  bool snapshot = false;
  bool check_args = false;  // only check the arguments (see cli_args.hpp)

  StreamFlags(std::string default_slot, std::string default_publication)
      : slot(std::move(default_slot)), publication(std::move(default_publication)) {}
  void add_to(CLI::App& app);
  // Throws std::invalid_argument for a bad --end-lsn.
  PostgresCdcConfig config() const;
};

}  // namespace sabot::examples
