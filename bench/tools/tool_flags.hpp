// Command-line flags shared by the bench tools that read a replication slot (sabot-bench-capture,
// sabot-bench-latency), defined once here with CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>

namespace sabot_bench {

// --dsn, --slot, --plugin, --format-version, --publication.
struct SlotFlags {
  std::string dsn, slot, plugin = "pgoutput", publication = "sabot_cdc";
  int format_version = 2;
};

inline void add_slot_flags(CLI::App& app, SlotFlags& flags) {
  app.add_option("--dsn", flags.dsn, "libpq connection string")->required();
  app.add_option("--slot", flags.slot, "logical replication slot name")->required();
  app.add_option("--plugin", flags.plugin, "output plugin: pgoutput|wal2json")
      ->capture_default_str();
  app.add_option("--format-version", flags.format_version, "wal2json format version: 1|2")
      ->capture_default_str();
  app.add_option("--publication", flags.publication, "pgoutput publication name")
      ->capture_default_str();
}

// Parses argv; on --help exits 0, on a usage error prints it and exits 2 (as the tools always did).
inline void parse_or_exit(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    std::exit(rc == 0 ? 0 : 2);
  }
}

}  // namespace sabot_bench
