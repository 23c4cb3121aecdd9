// sabot-cdc init: checks the server settings, then creates the publication, installs DDL capture
// (event triggers, see pg/ddl_capture.hpp) and creates the slot, idempotently. Safe to run again
// and again. --uninstall-ddl-capture only removes DDL capture.
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "pg/admin.hpp"
#include "pg/ddl_capture.hpp"
#include "pg/pg_connection.hpp"
#include "sabot/error.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::cli {

namespace {

struct InitFlags {
  ConnectionFlags connection;
  std::string slot = "sabot_cdc_slot";
  std::string publication = "sabot_cdc";
  std::string plugin = "pgoutput";
  std::vector<std::string> tables;
  bool no_slot = false;
  bool no_ddl_capture = false;
  bool uninstall_ddl_capture = false;
};

const char* describe(pg::PublicationAction action) {
  switch (action) {
    case pg::PublicationAction::Exists:
      return "exists";
    case pg::PublicationAction::Created:
      return "created";
    case pg::PublicationAction::Altered:
      return "updated with newly matching tables";
  }
  return "";
}

// Before the slot exists, so that every DDL the slot will decode is captured.
void set_up_ddl_capture(pg::PgConnection& conn) {
  const pg::DdlCaptureResult result = pg::install_ddl_capture(conn);
  switch (result.outcome) {
    case pg::DdlCaptureOutcome::Installed:
      std::printf("ddl capture: installed (event triggers %s, %s)\n",
                  std::string(pg::kDdlCommandEndTrigger).c_str(),
                  std::string(pg::kSqlDropTrigger).c_str());
      break;
    case pg::DdlCaptureOutcome::Updated:
      std::printf("ddl capture: updated\n");
      break;
    case pg::DdlCaptureOutcome::AlreadyInstalled:
      std::printf("ddl capture: installed\n");
      break;
    case pg::DdlCaptureOutcome::NoPrivilege:
      std::printf("ddl capture: not installed (insufficient privilege)\n");
      std::fprintf(stderr, "sabot-cdc: warning: DDL capture not installed: %s\n",
                   result.message.c_str());
      break;
  }
}

int run_uninstall_ddl_capture(const InitFlags& flags) {
  pg::PgConnection conn(flags.connection.to_config(), pg::ConnectionKind::Regular);
  const bool removed = pg::uninstall_ddl_capture(conn);
  std::printf("ddl capture: %s\n", removed ? "removed" : "was not installed");
  return 0;
}

int run_init(const InitFlags& flags) {
  if (flags.uninstall_ddl_capture) return run_uninstall_ddl_capture(flags);
  PostgresCdcConfig config = flags.connection.to_config();
  std::vector<std::string> patterns;
  for (const std::string& t : flags.tables) {
    for (std::string& p : split_patterns(t)) patterns.push_back(std::move(p));
  }
  const TableFilter filter(patterns);  // validates patterns before touching the server
  const Plugin plugin = pg::parse_plugin(flags.plugin);
  if (!flags.no_slot) pg::validate_slot_name(flags.slot);

  pg::PgConnection conn(config, pg::ConnectionKind::Regular);
  pg::check_server_settings(conn);
  std::printf(
      "server settings ok: wal_level=logical, replication slots and WAL senders available\n");

  const auto action = pg::ensure_publication(conn, flags.publication, filter);
  std::printf("publication \"%s\": %s\n", flags.publication.c_str(), describe(action));
  if (flags.no_ddl_capture) {
    std::printf("ddl capture: skipped (--no-ddl-capture)\n");
  } else {
    set_up_ddl_capture(conn);
  }
  if (!flags.no_slot) {
    const bool created = pg::ensure_slot(conn, flags.slot, plugin, /*temporary=*/false);
    std::printf("slot \"%s\" (%s): %s\n", flags.slot.c_str(), pg::plugin_name(plugin),
                created ? "created" : "exists");
  }
  return 0;
}

}  // namespace

void register_init(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<InitFlags>();
  CLI::App* cmd = app.add_subcommand(
      "init", "check server settings, create the publication and the slot (idempotent)");
  flags->connection.add_to(*cmd);
  cmd->add_option("--slot", flags->slot, "replication slot to create")->capture_default_str();
  cmd->add_option("--publication", flags->publication, "publication to create")
      ->capture_default_str();
  cmd->add_option("--plugin", flags->plugin,
                  "output plugin of the slot: pgoutput (built in) or wal2json")
      ->check(CLI::IsMember({"wal2json", "pgoutput"}))
      ->capture_default_str();
  cmd->add_option("--tables", flags->tables,
                  "table patterns for the publication (default: FOR ALL TABLES)");
  cmd->add_flag("--no-slot", flags->no_slot, "create only the publication");
  cmd->add_flag("--no-ddl-capture", flags->no_ddl_capture,
                "do not install the event triggers that report DDL as schema_change events");
  cmd->add_flag("--uninstall-ddl-capture", flags->uninstall_ddl_capture,
                "remove those event triggers and their function, then exit (nothing else is "
                "changed)")
      ->excludes("--no-ddl-capture");
  cmd->callback(
      [flags, &exit_code] { exit_code = run_reporting_errors([&] { return run_init(*flags); }); });
}

}  // namespace sabot::cli
