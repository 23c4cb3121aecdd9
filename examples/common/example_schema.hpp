// Each example keeps its tables in a schema of its own (ex01, ex02, ...), so running it against
// your database (--dsn) never touches your tables. The schema carries a comment naming the example;
// setup and clean-up only ever drop a schema that carries it, and refuse one that does not.
#pragma once

#include <string>

#include "pg_session.hpp"

namespace sabot::examples {

// Creates `schema` with the example's mark, or accepts it if it already has the mark. Throws
// std::runtime_error, changing nothing, if a schema of that name exists without the mark.
void claim_example_schema(PgSession& db, const std::string& schema);

// Drops `schema` and everything in it if it carries the example's mark; returns false (and
// drops nothing) if there is no such schema. Throws std::runtime_error for an unmarked one.
bool drop_example_schema(PgSession& db, const std::string& schema);

}  // namespace sabot::examples
