#include "stream_flags.hpp"

#include <stdexcept>

#include "cli_args.hpp"

namespace sabot::examples {

void StreamFlags::add_to(CLI::App& app) {
  app.add_option("--dsn", dsn, "libpq connection string (default: $SABOT_DSN, else PG* variables)")
      ->envname("SABOT_DSN");
  app.add_option("--slot", slot, "replication slot (create it with sabot-cdc init)")
      ->capture_default_str();
  app.add_option("--publication", publication, "publication (pgoutput)")->capture_default_str();
  app.add_option("--plugin", plugin, "output plugin of the slot")
      ->check(CLI::IsMember({"pgoutput", "wal2json"}))
      ->capture_default_str();
  app.add_option("--end-lsn", end_lsn, "stop once the stream has passed this LSN");
  app.add_flag("--snapshot", snapshot,
               "first read the rows that already exist (sabot-cdc's --snapshot initial)");
  add_check_args_flag(app, check_args);
}

PostgresCdcConfig StreamFlags::config() const {
  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot;
  config.publication_name = publication;
  config.plugin = plugin == "wal2json" ? Plugin::Wal2json : Plugin::Pgoutput;
  if (snapshot) config.snapshot = SnapshotMode::Initial;
  if (!end_lsn.empty()) {
    const auto lsn = Lsn::parse(end_lsn);
    if (!lsn)
      throw std::invalid_argument("--end-lsn '" + end_lsn + "' is not an LSN like 0/1A2B3C");
    config.end_lsn = *lsn;
  }
  return config;
}

}  // namespace sabot::examples
