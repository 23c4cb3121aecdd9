// Table schemas: what a consumer needs to keep a schema cache right while tables change.
//
// PostgreSQL's logical decoding carries no DDL. sabot-cdc reports schema changes as events of
// op SchemaChange ("schema_change") from two sources, in stream order with the row changes:
//   - DDL capture: `sabot-cdc init` installs an event trigger (ddl_command_end and sql_drop) that
//     writes a transactional logical message with prefix kDdlMessagePrefix describing each table a
//     command created, altered or dropped. The message travels inside the DDL's transaction, so
//     the event sits exactly between the row changes it separates. ChangeEvent::ddl is the
//     command tag: "CREATE TABLE", "ALTER TABLE", "DROP TABLE", ...
//   - pgoutput fallback: pgoutput sends a Relation message before the first change of a table
//     after its definition changed. When its columns differ from the previous Relation message of
//     the session and from the last schema already reported for that table, the event has ddl
//     kRelationChangedDdl, placed right before the first row in the new shape. Without DDL
//     capture this is the only signal; with it, it appears only when a change was not captured.
//
// Thread-safety: TableSchema is an immutable value once shared; SchemaRegistry is not
// thread-safe (one thread drives it, like the connector).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/lsn.hpp"

namespace sabot {

struct ChangeEvent;

// Prefix of the logical messages written by the DDL capture event trigger. Such messages never
// reach the consumer as messages: they become schema_change events.
inline constexpr std::string_view kDdlMessagePrefix = "sabot_ddl";
// ChangeEvent::ddl of a schema change seen only through a pgoutput Relation message.
inline constexpr std::string_view kRelationChangedDdl = "relation_changed";

struct SchemaColumn {
  std::string name;
  uint32_t type_oid = 0;  // pg_type OID; 0 when unknown
  std::string type_name;  // format_type() with modifier: "character varying(20)", "numeric(10,2)"
  // Whether the column accepts NULL (no NOT NULL constraint). nullopt when the source does not
  // say: a pgoutput Relation message carries no nullability.
  std::optional<bool> nullable;
  // Part of the replica identity: the columns update/delete events carry in `old`. With REPLICA
  // IDENTITY DEFAULT that is the primary key, with USING INDEX the index's columns, with FULL
  // every column, with NOTHING none (the same rule as pgoutput's key flag).
  bool key = false;

  bool operator==(const SchemaColumn&) const = default;
};

// A table as row events show it: dropped columns and generated columns (which logical
// replication does not send) are left out; columns are in table order.
struct TableSchema {
  std::string schema;
  std::string table;
  uint32_t relation_oid = 0;  // pg_class OID; 0 when unknown
  // REPLICA IDENTITY: "default", "full", "index", "nothing"; empty when unknown.
  std::string replica_identity;
  std::vector<SchemaColumn> columns;
  bool dropped = false;  // the table no longer exists (columns is empty)
  // Where this description comes from: the command tag or "relation_changed" of the schema_change
  // event that set it, or "catalog" when read from the server's catalog at open().
  std::string ddl;
  Lsn lsn;  // the event's LSN; for "catalog", the server's WAL position then

  const SchemaColumn* column(std::string_view name) const;
  std::vector<std::string> key_columns() const;  // names of the key columns, in table order
  // Same table name, replica identity and columns: names, type OIDs, type names (for built-in
  // types, OID < 16384, whose modifier only the name shows) and key flags; nullability counts
  // only where both sides know it. What a consumer decoding rows depends on.
  bool same_shape(const TableSchema& other) const;
  bool operator==(const TableSchema&) const = default;
};

// The current schema of each table, kept up to date by schema_change events in stream order.
// Entries are shared, immutable TableSchema objects: a pointer obtained from find() stays valid
// (and unchanged) however the registry changes later.
class SchemaRegistry {
 public:
  // Applies one event: a schema_change replaces the table's entry (removing an entry of the same
  // relation OID under another name: a rename) or, for a dropped table, removes it. Events of
  // other ops are ignored.
  void apply(const ChangeEvent& event);
  // Adds or replaces the entry of schema->schema / schema->table (a dropped schema removes it).
  void put(std::shared_ptr<const TableSchema> schema);

  std::shared_ptr<const TableSchema> find(std::string_view schema, std::string_view table) const;
  // Every known table, ordered by schema then table name.
  std::vector<std::shared_ptr<const TableSchema>> tables() const;
  size_t size() const { return tables_.size(); }
  void clear() { tables_.clear(); }

 private:
  static std::string key(std::string_view schema, std::string_view table);
  std::map<std::string, std::shared_ptr<const TableSchema>> tables_;
};

}  // namespace sabot
