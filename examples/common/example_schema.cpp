#include "example_schema.hpp"

#include <stdexcept>

namespace sabot::examples {

namespace {

std::string mark(const std::string& schema) {
  return "created by a sabot-cdc example (schema " + schema +
         "); its run script's --cleanup drops it";
}

// The schema's comment, "" for none; nullopt when there is no such schema.
std::optional<std::string> schema_comment(PgSession& db, const std::string& schema) {
  const auto rows = db.query(
      "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
      "WHERE nspname = " +
      sql_literal(schema));
  if (rows.empty()) return std::nullopt;
  return rows[0][0].value_or("");
}

void refuse_unmarked(const std::string& schema) {
  throw std::runtime_error("schema " + schema +
                           " exists in this database but was not created by a sabot-cdc example; "
                           "it is left untouched. Run the example against another database, or "
                           "drop or rename that schema yourself.");
}

}  // namespace

void claim_example_schema(PgSession& db, const std::string& schema) {
  const auto comment = schema_comment(db, schema);
  if (comment && *comment != mark(schema)) refuse_unmarked(schema);
  if (!comment) {
    db.exec("CREATE SCHEMA " + schema + "; COMMENT ON SCHEMA " + schema + " IS " +
            sql_literal(mark(schema)));
  }
}

bool drop_example_schema(PgSession& db, const std::string& schema) {
  const auto comment = schema_comment(db, schema);
  if (!comment) return false;
  if (*comment != mark(schema)) refuse_unmarked(schema);
  db.exec("DROP SCHEMA " + schema + " CASCADE");
  return true;
}

}  // namespace sabot::examples
