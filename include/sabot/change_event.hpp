// ChangeEvent: one committed row change (or logical message / schema change).
//
// Ownership and lifetime: the names and values of an event are views (std::string_view, Value,
// NameList) into storage the event shares ownership of (ChangeEvent::storage): the decoders
// keep one immutable description per table shape for the names, and write the values of many
// events into shared buffers, so decoding a row allocates almost nothing. Copies of an event
// share the same storage and stay valid on their own. A Column, Value or name copied out of an
// event borrows from it: keep the event (or a copy) alive while you use them, or copy the text
// (std::string(column.name), column.value.owned()). Events you build yourself may point at string
// literals or at storage you keep alive; set `storage` to anything that owns it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/lsn.hpp"
#include "sabot/schema.hpp"
#include "sabot/value.hpp"

namespace sabot {

// Microseconds since the Unix epoch, UTC (PostgreSQL's timestamp resolution).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// ISO 8601 UTC with microseconds: "2026-11-26T01:29:12.672064Z".
std::string format_iso8601(Timestamp ts);

// Read: a row of a table snapshot (the rows that existed before the stream, or a table re-read on
// demand). Shaped like an insert: `columns` holds the whole row, `old` is nullopt. Its position
// (commit_lsn, seq) sorts with the stream's: the row's state is the table's as of that position.
// Appended last so the spill format's op numbers stay as they were.
enum class Op : uint8_t { Insert, Update, Delete, Truncate, Message, SchemaChange, Read };
std::string_view to_string(Op op);  // "insert", "update", ..., "schema_change", "read"

struct Column {
  std::string_view name;
  uint32_t type_oid = 0;      // 0 when the plugin did not report it
  std::string_view type_name; // e.g. "integer", "timestamp with time zone"; may be empty
  Value value;                // NULL is Value::null()
  // The server did not send this value because it is an unchanged TOASTed value (pgoutput 'u').
  // value is then NULL and means "unchanged", never "NULL".
  bool unchanged_toast = false;
};

// A read-only list of names (an event's key columns) that lives in the event's storage, like its
// other names. Converts from a std::vector<std::string>, which it then views (keep it alive);
// compares element-wise.
class NameList {
 public:
  using value_type = std::string;
  using iterator = std::span<const std::string>::iterator;
  using const_iterator = iterator;

  NameList() = default;
  NameList(const std::vector<std::string>& names) : names_(names) {}  // NOLINT: implicit view
  NameList(std::vector<std::string>&&) = delete;  // would view a temporary
  NameList(std::span<const std::string> names) : names_(names) {}    // NOLINT: implicit view

  iterator begin() const { return names_.begin(); }
  iterator end() const { return names_.end(); }
  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& operator[](size_t i) const { return names_[i]; }
  std::span<const std::string> span() const { return names_; }
  std::vector<std::string> to_vector() const { return {names_.begin(), names_.end()}; }

  friend bool operator==(const NameList& a, const NameList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::span<const std::string> names_;
};

// What the views of an event point into. Opaque owners: copying the event shares them. Which
// owner holds which bytes is the decoder's business (wal2json keeps the names next to the
// values); together they keep every view of the event valid. Thread-safety: the owned bytes are
// immutable, so events may be read from several threads and handed between threads.
struct EventStorage {
  // Owns key_columns (always, for events the decoders make) and typically the table's names: a
  // small description shared by every event of the table.
  std::shared_ptr<const void> names;
  std::shared_ptr<const void> values;  // typically a buffer shared with neighbouring events
};

struct ChangeEvent {
  Op op = Op::Insert;
  std::string_view schema;
  std::string_view table;
  // New row for insert/update; empty for delete/truncate/message.
  std::vector<Column> columns;
  // Old values: the replica identity key (default) or the whole old row (REPLICA IDENTITY FULL),
  // for update and delete. nullopt when the server sent none (update that kept the key).
  std::optional<std::vector<Column>> old;
  // Names of the table's primary-key (or replica identity) columns, when the plugin reports them.
  NameList key_columns;

  Lsn lsn;                      // LSN of this change's WAL record (wal2json v1: the commit's)
  uint32_t transaction_id = 0;  // xid; 0 for a non-transactional message
  Timestamp commit_time{};
  // LSN of the transaction's commit record. (commit_lsn, seq) is the event's stable position:
  // unique and identical across redeliveries, so a sink can drop duplicates with it.
  Lsn commit_lsn;
  uint32_t seq = 0;             // index of this event within its transaction, from 0

  // op == Message: pg_logical_emit_message arguments.
  std::string message_prefix;
  std::string message_content;
  bool message_transactional = false;

  // op == Truncate: options given to TRUNCATE, when the plugin reports them (pgoutput).
  bool truncate_cascade = false;
  bool truncate_restart_identity = false;

  // op == SchemaChange (see schema.hpp): a table was created, altered or dropped.
  //   ddl           the command tag ("CREATE TABLE", "ALTER TABLE", "DROP TABLE", ...) or
  //                 "relation_changed" (seen only through a pgoutput Relation message)
  //   columns       the table's columns after the change: name, type_oid, type_name, value NULL
  //                 (empty when the table was dropped)
  //   key_columns   its replica identity columns after the change
  //   table_schema  the whole description: also nullability, key flag per column, replica
  //                 identity, relation OID, dropped. Set for every SchemaChange, nullptr otherwise.
  std::string ddl;
  std::shared_ptr<const TableSchema> table_schema;

  // Keeps the bytes the views above point into alive (see the top of this file).
  EventStorage storage;

  // The column of `columns` named `name`, or nullptr.
  const Column* column(std::string_view name) const;
  // The column of `old` named `name`, or nullptr.
  const Column* old_column(std::string_view name) const;
  // Seed compatibility: event.type == "schema_change".
  std::string_view type() const { return to_string(op); }
};

}  // namespace sabot
