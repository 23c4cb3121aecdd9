// Schema-change events: the one place where DDL capture messages become SchemaChange events, and
// where a pgoutput relation_changed event is dropped when DDL capture already reported that shape.
//
// The DDL capture message content (version 1), written by the event trigger of
// pg/ddl_capture.cpp with json_build_object; the catalog snapshot read at open() has the same
// shape with event "catalog":
//   {"version":1, "event":"ddl_command_end"|"sql_drop"|"catalog", "tag":S, "oid":N,
//    "schema":S, "table":S, "identity":"default"|"full"|"index"|"nothing"|null,
//    "columns":[{"name":S, "type":S, "type_oid":N, "nullable":B, "key":B}, ...]}
// sql_drop describes a dropped table: identity null, columns empty. Keys may come in any order;
// unknown keys are ignored (a newer trigger may add some); every key above is required. After
// the messages of one command the trigger writes one with empty content, an end marker that only
// serves to order the others (see pg/ddl_capture.cpp) and is dropped here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sabot/change_event.hpp"
#include "sabot/schema.hpp"

namespace sabot::decode {

struct DdlDescription {
  std::string event;                          // "ddl_command_end", "sql_drop" or "catalog"
  std::string tag;                            // command tag; "" for "catalog"
  std::shared_ptr<const TableSchema> schema;  // ddl = tag, lsn unset
};

// Parses one message content / catalog document. Throws CdcError{Protocol} saying what is wrong
// (the caller says where).
DdlDescription parse_ddl_description(std::string_view json);

// Makes `event` a SchemaChange describing `schema`: op, schema, table, columns (values NULL),
// key_columns, ddl = schema->ddl, table_schema. Other fields (lsn, ...) are left as they are.
void set_schema_change(ChangeEvent& event, std::shared_ptr<const TableSchema> schema);

// "default", "full", "index", "nothing" for pg_class.relreplident 'd', 'f', 'i', 'n'; "" else.
std::string_view replica_identity_name(uint8_t relreplident);

// Sits in front of the transaction assembler's table filter, in stream order:
//   - a Message with prefix kDdlMessagePrefix becomes a SchemaChange event (a malformed one is
//     CdcError{Protocol} naming its LSN), or is dropped when empty (the end marker);
//   - a relation_changed event is dropped when the last schema reported for its table has the
//     same shape: DDL capture already announced it (the Relation message only comes with the first
//     row written after the DDL, usually in a later transaction, so "same transaction" would not
//     do). This needs no knowledge of whether DDL capture is installed, which can change while
//     the stream replays older WAL.
// Not thread-safe. clear() when the stream restarts (the server replays from the confirmed
// position, so what was reported after it is reported again).
class SchemaChangeGate {
 public:
  // Converts `event` in place when it is a DDL message; false when it must be dropped.
  bool admit(ChangeEvent& event);
  void clear() { reported_.clear(); }

 private:
  // Last shape reported per table, keyed "schema\0table".
  std::unordered_map<std::string, std::shared_ptr<const TableSchema>> reported_;
};

}  // namespace sabot::decode
