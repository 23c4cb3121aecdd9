#include "engine/schema_seed.hpp"

#include <memory>
#include <string>

#include "decode/schema_events.hpp"
#include "pg/ddl_capture.hpp"

namespace sabot::engine {

void seed_schemas(pg::PgConnection& conn, const TableFilter& filter, Lsn position,
                  SchemaRegistry& registry) {
  for (const std::string& document : pg::read_table_schema_documents(conn)) {
    decode::DdlDescription description = decode::parse_ddl_description(document);
    if (!filter.matches(description.schema->schema, description.schema->table)) continue;
    auto schema = std::const_pointer_cast<TableSchema>(description.schema);
    schema->lsn = position;
    registry.put(std::move(schema));
  }
}

}  // namespace sabot::engine
