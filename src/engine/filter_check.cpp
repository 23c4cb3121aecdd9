#include "engine/filter_check.hpp"

#include <algorithm>

#include "pg/admin.hpp"

namespace sabot::engine {

std::vector<std::string> patterns_matching_no_table(pg::PgConnection& conn,
                                                    const TableFilter& filter) {
  if (filter.empty()) return {};
  // Partitions too: pgoutput names a partition's changes by the partition unless the
  // publication says publish_via_partition_root, so a pattern may rightly name one.
  const std::vector<TableName> tables =
      pg::matching_tables(conn, TableFilter(), pg::Partitions::Included);
  std::vector<std::string> unmatched;
  for (const TablePattern& pattern : filter.patterns()) {
    const bool any = std::any_of(tables.begin(), tables.end(), [&](const TableName& t) {
      return pattern.matches(t.schema, t.table);
    });
    if (!any) unmatched.push_back(pattern.text());
  }
  return unmatched;
}

std::string unmatched_patterns_warning(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return "";
  std::string quoted;
  for (const std::string& p : patterns) quoted += (quoted.empty() ? "'" : ", '") + p + "'";
  return "warning: the table pattern" + std::string(patterns.size() > 1 ? "s " : " ") + quoted +
         (patterns.size() > 1 ? " match" : " matches") +
         " no table in this database (yet): nothing is streamed for " +
         (patterns.size() > 1 ? "them" : "it") +
         " until such a table is created. Check the spelling (a bare name means public.NAME)";
}

}  // namespace sabot::engine
