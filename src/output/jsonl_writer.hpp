// JSON Lines rendering of change events: the `sabot-cdc stream` output contract.
//
// One object per event: op, schema, table, columns (name → value), old (object or null), xid,
// lsn, commit_lsn, commit_time (ISO 8601 UTC, microseconds), seq; plus unchanged_toast (array of
// column names, only when non-empty), and for messages prefix / content / transactional, for
// truncates cascade / restart_identity, for schema_change ddl, identity, dropped, and columns
// as an array of {name,type,type_oid,nullable,key}.
// Values: JSON numbers for int2/int4/int8/float4/float8 (NaN and ±Infinity as strings), booleans
// for bool, null for NULL, PostgreSQL's text form as a string for everything else.
#pragma once

#include <string>
#include <string_view>

#include "output/json_text.hpp"
#include "sabot/change_event.hpp"

namespace sabot::output {

// Appends one JSON object and a newline to `out`.
void append_event_jsonl(std::string& out, const ChangeEvent& event);
// The same into a JsonText (the fastest: no copy of the line).
void append_event_jsonl(JsonText& out, const ChangeEvent& event);
// Appends `text` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);
void append_json_string(JsonText& out, std::string_view text);
// Whether `text` (a PostgreSQL integer or float text form) is also a valid JSON number.
bool is_json_number(std::string_view text);
// Appends the JSON form of a column value by the rules above.
void append_json_value(std::string& out, const Column& column);

}  // namespace sabot::output
