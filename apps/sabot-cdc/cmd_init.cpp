// sabot-cdc init: checks the server settings, then creates the publication, installs DDL capture
// (event triggers, see sabot/admin.hpp) and creates the slot, idempotently. Safe to run again
// and again. --uninstall-ddl-capture only removes DDL capture.
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "sabot/admin.hpp"
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

void print_ddl_capture(const DdlCaptureResult& result) {
  switch (result.outcome) {
    case DdlCaptureOutcome::Installed:
      std::printf("ddl capture: installed (event triggers %s, %s)\n",
                  std::string(kDdlCommandEndTrigger).c_str(), std::string(kSqlDropTrigger).c_str());
      break;
    case DdlCaptureOutcome::Updated:
      std::printf("ddl capture: updated\n");
      break;
    case DdlCaptureOutcome::AlreadyInstalled:
      std::printf("ddl capture: installed\n");
      break;
    case DdlCaptureOutcome::NoPrivilege:
      std::printf("ddl capture: not installed (insufficient privilege)\n");
      log_line(LogLevel::Warning, "DDL capture not installed: " + result.message);
      break;
    case DdlCaptureOutcome::Skipped:
      std::printf("ddl capture: skipped (--no-ddl-capture)\n");
      break;
  }
}

int run_uninstall_ddl_capture(const InitFlags& flags) {
  PostgresAdmin admin(flags.connection.to_config());
  const bool removed = admin.uninstall_ddl_capture();
  std::printf("ddl capture: %s\n", removed ? "removed" : "was not installed");
  return 0;
}

int run_init(const InitFlags& flags) {
  if (flags.uninstall_ddl_capture) return run_uninstall_ddl_capture(flags);
  InitOptions options;
  options.slot = flags.slot;
  options.publication = flags.publication;
  options.plugin = parse_plugin(flags.plugin);
  for (const std::string& t : flags.tables) {
    for (std::string& p : split_patterns(t)) options.tables.push_back(std::move(p));
  }
  options.create_slot = !flags.no_slot;
  options.install_ddl_capture = !flags.no_ddl_capture;
  // Patterns and slot name are checked before connecting: a typo changes nothing.
  const TableFilter filter(options.tables);
  if (options.create_slot) validate_slot_name(options.slot);

  PostgresAdmin admin(flags.connection.to_config());
  const InitReport report = admin.init(options);
  std::printf(
      "server settings ok: wal_level=logical, replication slots and WAL senders available\n");
  std::printf("publication \"%s\": %s\n", options.publication.c_str(),
              to_string(report.publication));
  print_ddl_capture(report.ddl_capture);
  if (options.create_slot) {
    std::printf("slot \"%s\" (%s): %s\n", options.slot.c_str(), to_string(options.plugin),
                report.slot_created ? "created" : "exists");
  }
  return 0;
}

}  // namespace

void register_init(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<InitFlags>();
  CLI::App* cmd = app.add_subcommand(
      "init", "check server settings, create the publication and the slot (idempotent)");
  flags->connection.add_to(*cmd);
  add_log_flags(*cmd);
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
