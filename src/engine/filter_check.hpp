// The table filter against the tables that exist: a pattern that matches none is most often a
// typo, and would otherwise stream nothing without a word. Only a warning — the table may be
// created later, and its changes are then captured.
#pragma once

#include <string>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::engine {

// The patterns of `filter` that match no table (ordinary, partitioned or partition) of the
// connected database (none for an empty filter). Throws CdcError like any query.
std::vector<std::string> patterns_matching_no_table(pg::PgConnection& conn,
                                                    const TableFilter& filter);

// The warning to log for them, naming each pattern; "" when there are none.
std::string unmatched_patterns_warning(const std::vector<std::string>& patterns);

}  // namespace sabot::engine
