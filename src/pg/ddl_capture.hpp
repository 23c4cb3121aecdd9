// DDL capture: an event trigger that writes what a DDL command did to a table into the WAL, as a
// transactional logical message, so both output plugins deliver it in order with the row changes
// (pgoutput with its "messages" option, wal2json as an "M" action). See sabot/schema.hpp for the
// events this becomes and core/schema_events.hpp for the message content.
//
// Installed objects (one set per database, idempotent, all created in one transaction):
//   function       public.sabot_cdc_capture_ddl()   SECURITY DEFINER, so DDL of any role is
//                                                   captured; search_path pinned
//   event triggers sabot_ddl_command_end (ddl_command_end), sabot_sql_drop (sql_drop)
// For each permanent ordinary or partitioned table a command created or altered (and the
// partitions / inheritance children of an altered table, which ALTER TABLE changes too), one
// message with the table's columns after the command; for each dropped table, one message with
// no columns. Temporary and unlogged tables are skipped: logical decoding never sends their rows.
// The function does nothing when wal_level is not logical, and never makes a DDL command fail: an
// unexpected error becomes a WARNING and that command goes uncaptured.
//
// Creating event triggers needs superuser in PostgreSQL 15 (and the managed services' equivalent
// roles): install_ddl_capture() reports a missing privilege as a result, never as an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/admin.hpp"

namespace sabot::pg {

DdlCaptureState ddl_capture_state(PgConnection& conn);

// Installs or brings up to date the function and both triggers. Throws CdcError for anything but
// a missing privilege.
DdlCaptureResult install_ddl_capture(PgConnection& conn);

// Removes both triggers and the function; false when none was there. Throws CdcError (naming the
// privilege needed) when the role may not drop them.
bool uninstall_ddl_capture(PgConnection& conn);
// The SQL uninstall_ddl_capture() runs.
std::string ddl_capture_uninstall_sql();

// One JSON document per permanent ordinary or partitioned table outside the system schemas, in
// the shape of a DDL capture message with event "catalog": the schemas as the catalog has them
// now. Sorted by schema and table.
std::vector<std::string> read_table_schema_documents(PgConnection& conn);

}  // namespace sabot::pg
