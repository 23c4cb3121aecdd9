// Admin queries: server settings, replication slots, publications. Each function runs plain SQL on
// the given connection (a replication=database connection accepts it too) and throws CdcError that
// names the problem and the fix.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/config.hpp"
#include "sabot/lsn.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::pg {

const char* plugin_name(Plugin plugin);
Plugin parse_plugin(std::string_view name);  // throws CdcError{Config}
// Slot names: lower-case letters, digits, underscore, at most 63 (PostgreSQL's rule).
void validate_slot_name(std::string_view name);

// Throws CdcError{ServerSetting} for the first setting that prevents logical replication.
void check_server_settings(PgConnection& conn);

struct SlotInfo {
  std::string name;
  std::string plugin;
  std::string slot_type;
  std::string database;
  bool active = false;
  std::optional<int> active_pid;
  std::optional<Lsn> restart_lsn;
  std::optional<Lsn> confirmed_flush_lsn;
  std::optional<int64_t> retained_wal_bytes;  // current WAL position - restart_lsn
  std::optional<int64_t> lag_bytes;           // current WAL position - confirmed_flush_lsn
  std::string wal_status;
};

std::vector<SlotInfo> list_slots(PgConnection& conn);
std::optional<SlotInfo> find_slot(PgConnection& conn, const std::string& name);
// Creates the slot if missing (returns true) or checks it fits (plugin, database); false if it
// existed. Throws CdcError{Config} on a plugin mismatch, {MissingPlugin} if not installed.
bool ensure_slot(PgConnection& conn, const std::string& name, Plugin plugin, bool temporary);
// Refuses an active slot with CdcError{SlotInUse}; {SlotMissing} if absent.
void drop_slot(PgConnection& conn, const std::string& name);

struct TableName {
  std::string schema;
  std::string table;
};
// Ordinary and partitioned tables of the current database that match the filter (system schemas
// excluded), sorted.
std::vector<TableName> matching_tables(PgConnection& conn, const TableFilter& filter);

enum class PublicationAction { Exists, Created, Altered };
// Creates the publication FOR ALL TABLES (empty filter) or FOR TABLE the matching tables; when it
// exists, adds matching tables it lacks (unless it is FOR ALL TABLES). Throws CdcError{Config}
// if patterns match no table.
PublicationAction ensure_publication(PgConnection& conn, const std::string& name,
                                     const TableFilter& filter);
bool publication_exists(PgConnection& conn, const std::string& name);

}  // namespace sabot::pg
