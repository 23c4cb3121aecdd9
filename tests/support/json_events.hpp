// Test support: parse `sabot-cdc stream` JSON Lines into plain structs. Column values are kept as
// their minified JSON text ("1", "\"abc\"", "null", "true") so tests compare exact renderings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "local_postgres.hpp"

namespace sabot::test {

// One entry of a schema_change line's "columns" array.
struct JsonSchemaColumn {
  std::string name, type;
  uint64_t type_oid = 0;
  std::string nullable;  // "true", "false" or "null"
  bool key = false;
};

struct JsonEvent {
  std::string op, schema, table;
  std::map<std::string, std::string> columns;
  std::optional<std::map<std::string, std::string>> old;
  std::vector<std::string> unchanged_toast;
  uint64_t xid = 0;
  std::string lsn, commit_lsn, commit_time;
  uint64_t seq = 0;
  std::string prefix, content;  // messages
  // schema_change lines: "ddl", "identity" (replica identity), "dropped", and the "columns" array.
  std::string ddl, identity;
  bool dropped = false;
  std::vector<JsonSchemaColumn> schema_columns;
  std::string raw;  // the whole line

  std::vector<std::string> schema_column_names() const;
  // The schema column named `name`; throws std::runtime_error naming the line if there is none.
  const JsonSchemaColumn& schema_column(const std::string& name) const;
};

// Throws std::runtime_error naming the line when it is not valid JSON of the documented shape.
std::vector<JsonEvent> parse_jsonl(const std::string& text);

// Creates the slot (plugin wal2json unless given) via `sabot-cdc init`.
void create_slot(const LocalPostgres& pg, const std::string& slot,
                 const std::vector<std::string>& extra_args = {});
// Streams the slot up to the current WAL insert position; fails the test on a non-zero exit.
std::vector<JsonEvent> stream_to_now(const LocalPostgres& pg, const std::string& slot,
                                     const std::vector<std::string>& extra_args = {});

}  // namespace sabot::test
