// Admin queries: server settings, replication slots, publications. Each function runs plain SQL on
// the given connection (a replication=database connection accepts it too) and throws CdcError that
// names the problem and the fix.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/admin.hpp"
#include "sabot/config.hpp"
#include "sabot/lsn.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::pg {


// Throws CdcError{ServerSetting} for the first setting that prevents logical replication.
void check_server_settings(PgConnection& conn);

std::vector<SlotInfo> list_slots(PgConnection& conn);
std::optional<SlotInfo> find_slot(PgConnection& conn, const std::string& name);
// Creates the slot if missing (returns true) or checks it fits (plugin, database); false if it
// existed. Throws CdcError{Config} on a plugin mismatch, {MissingPlugin} if not installed.
bool ensure_slot(PgConnection& conn, const std::string& name, Plugin plugin, bool temporary);
// Refuses an active slot with CdcError{SlotInUse}; {SlotMissing} if absent.
void drop_slot(PgConnection& conn, const std::string& name);

// Ordinary and partitioned tables of the current database that match the filter (system schemas
// excluded), sorted.
// Partitions are left out by default: a publication names a partitioned table by its root.
enum class Partitions { Excluded, Included };
std::vector<TableName> matching_tables(PgConnection& conn, const TableFilter& filter,
                                       Partitions partitions = Partitions::Excluded);

// Creates the publication FOR ALL TABLES (empty filter) or FOR TABLE the matching tables; when it
// exists, adds matching tables it lacks (unless it is FOR ALL TABLES). Throws CdcError{Config}
// if patterns match no table.
PublicationAction ensure_publication(PgConnection& conn, const std::string& name,
                                     const TableFilter& filter);
bool publication_exists(PgConnection& conn, const std::string& name);

// The logical slots (only `only_slot` if not empty: CdcError{SlotMissing} when absent), with
// pg_stat_replication's flush lag for active ones.
std::vector<SlotStatus> slot_status(PgConnection& conn, std::string_view only_slot);
std::string current_database(PgConnection& conn);

}  // namespace sabot::pg
