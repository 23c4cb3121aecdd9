// PostgresAdmin: everything `sabot-cdc init`, `slots` and `status` do, for any program — check the
// server's settings, create the publication and the slot, list, inspect and drop slots, install or
// remove DDL capture. The CLI is a thin user of this class; so is the Python binding.
//
//   sabot::PostgresAdmin admin(config);         // connects now (a regular connection)
//   sabot::InitReport report = admin.init({.slot = "orders_slot", .tables = {"public.orders"}});
//   for (const sabot::SlotStatus& s : admin.slot_status()) ...
//
// Connection: the same PostgresCdcConfig fields the connector uses (dsn, host, port, ...; libpq's
// environment variables and .pgpass otherwise); only the connection fields are read.
// Errors: every failure is a sabot::CdcError that names the problem and the fix (see error.hpp).
// Threading: one thread at a time uses an instance; it owns one connection until destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/config.hpp"
#include "sabot/lsn.hpp"
#include "sabot/preflight.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot {

// A row of pg_replication_slots with the WAL it holds back.
struct SlotInfo {
  std::string name;
  std::string plugin;     // "" for a physical slot
  std::string slot_type;  // "logical" or "physical"
  std::string database;   // "" for a physical slot
  bool active = false;
  std::optional<int> active_pid;  // the walsender streaming from it
  std::optional<Lsn> restart_lsn;
  std::optional<Lsn> confirmed_flush_lsn;
  std::optional<int64_t> retained_wal_bytes;  // current WAL position - restart_lsn
  std::optional<int64_t> lag_bytes;           // current WAL position - confirmed_flush_lsn
  std::string wal_status;                     // reserved, extended, unreserved, lost
};

// A logical slot with what the server knows of its consumer.
struct SlotStatus {
  SlotInfo slot;
  std::optional<double> flush_lag_seconds;  // pg_stat_replication.flush_lag, active slots only
};

struct TableName {
  std::string schema;
  std::string table;
};

enum class PublicationAction { Exists, Created, Altered };
const char* to_string(PublicationAction action);  // "exists", "created", "updated with ..."

// DDL capture: event triggers that write each CREATE / ALTER / DROP TABLE into the WAL, so that
// both plugins deliver schema_change events in order with the rows (README "Schema changes").
inline constexpr std::string_view kDdlCaptureFunction = "public.sabot_cdc_capture_ddl()";
inline constexpr std::string_view kDdlCommandEndTrigger = "sabot_ddl_command_end";
inline constexpr std::string_view kSqlDropTrigger = "sabot_sql_drop";

enum class DdlCaptureState {
  Absent,    // no function (and so no trigger)
  Current,   // both triggers enabled, running this release's function
  Outdated,  // something is there but not exactly that: install_ddl_capture() replaces it
};
enum class DdlCaptureOutcome { Installed, Updated, AlreadyInstalled, NoPrivilege, Skipped };
struct DdlCaptureResult {
  DdlCaptureOutcome outcome = DdlCaptureOutcome::Installed;
  std::string message;  // NoPrivilege: why, and how to fix it
};
// The SQL that removes DDL capture, for people who prefer psql.
std::string ddl_capture_uninstall_sql();

// What init() sets up; the defaults match `sabot-cdc init`.
struct InitOptions {
  std::string slot = "sabot_cdc_slot";
  std::string publication = "sabot_cdc";
  Plugin plugin = Plugin::Pgoutput;
  std::vector<std::string> tables;  // patterns for the publication; empty = FOR ALL TABLES
  bool create_slot = true;
  bool install_ddl_capture = true;
};

struct InitReport {
  PublicationAction publication = PublicationAction::Exists;
  DdlCaptureResult ddl_capture;  // outcome Skipped when not asked for
  bool slot_created = false;     // false: it existed (or create_slot was off)
};

class PostgresAdmin {
 public:
  // Connects; throws CdcError{Connection|Authentication|Config}.
  explicit PostgresAdmin(const PostgresCdcConfig& config);
  ~PostgresAdmin();
  PostgresAdmin(PostgresAdmin&&) noexcept;
  PostgresAdmin& operator=(PostgresAdmin&&) noexcept;

  // The whole setup, idempotent: settings check, publication, DDL capture, slot — in that order,
  // so the slot decodes every change and DDL made after it exists. Patterns and the slot name are
  // validated before anything is changed.
  InitReport init(const InitOptions& options);

  // Throws CdcError{ServerSetting} for the first setting that prevents logical replication
  // (wal_level, max_replication_slots, max_wal_senders), naming the fix.
  void check_server_settings();

  // The preflight of `sabot-cdc check` (see preflight.hpp): settings and their headroom, the
  // role's privileges, the captured tables' replica identity and publication membership, the
  // plugin, DDL capture, the slot and other slots retaining WAL. Read-only, except that checking
  // an uninstalled wal2json creates and drops a temporary slot.
  PreflightReport check(const PreflightOptions& options);

  // Creates the publication FOR ALL TABLES (empty filter) or FOR TABLE the matching tables; when
  // it exists, adds matching tables it lacks (unless it is FOR ALL TABLES). Throws
  // CdcError{Config} if the patterns match no table.
  PublicationAction ensure_publication(const std::string& name, const TableFilter& filter);
  bool publication_exists(const std::string& name);
  // Ordinary and partitioned tables of the current database that match (system schemas excluded).
  std::vector<TableName> matching_tables(const TableFilter& filter);

  // Creates the slot if missing (true) or checks it fits: logical, same plugin, same database
  // (false). Throws CdcError{Config} on a mismatch, {MissingPlugin} if the plugin is not installed.
  bool ensure_slot(const std::string& name, Plugin plugin, bool temporary = false);
  std::vector<SlotInfo> list_slots();  // every slot of the server, sorted by name
  std::optional<SlotInfo> find_slot(const std::string& name);
  // Refuses an active slot with CdcError{SlotInUse}; {SlotMissing} if absent.
  void drop_slot(const std::string& name);
  // The logical slots (only `slot` when not empty), with the flush lag of the active ones.
  std::vector<SlotStatus> slot_status(std::string_view slot = {});

  DdlCaptureState ddl_capture_state();
  // Installs or brings up to date the function and both triggers. A missing privilege is an
  // outcome (NoPrivilege, with the fix), not an exception.
  DdlCaptureResult install_ddl_capture();
  // Removes both triggers and the function; false when none was there.
  bool uninstall_ddl_capture();

  std::string current_database();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sabot
