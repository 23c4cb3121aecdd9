// Schema seeding: the catalog's schemas of the captured tables, read when the connector first
// connects, so table_schema() answers before any change arrived. From then on schema_change
// events keep the registry current; a reconnect does not seed again (the registry already holds
// what was handed out, and the catalog may be ahead of the stream).
#pragma once

#include "pg/pg_connection.hpp"
#include "sabot/lsn.hpp"
#include "sabot/schema.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::engine {

// Puts into `registry` the schema of every table `filter` matches, stamped with `position` (the
// server's WAL position when it was read). Errors: CdcError from the catalog query (classified by
// the server's answer) and CdcError{Protocol} for a description that does not parse.
void seed_schemas(pg::PgConnection& conn, const TableFilter& filter, Lsn position,
                  SchemaRegistry& registry);

}  // namespace sabot::engine
