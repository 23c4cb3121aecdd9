#include "cache_audit.hpp"

#include <fmt/format.h>

#include <map>

#include "cache_setup.hpp"

namespace sabot::examples::cache {

namespace {

// Every row of the table as the cache would hold it, by id.
std::map<std::string, RedisCacheClient::Row> rows_in_database(PgSession& db,
                                                              const CachedTable& table) {
  std::string columns;
  for (const std::string& c : table.columns) columns += (columns.empty() ? "" : ", ") + c;
  std::map<std::string, RedisCacheClient::Row> rows;
  for (const SqlRow& values :
       db.query(fmt::format("SELECT {} FROM {}.{}", columns, kSchema, table.name))) {
    RedisCacheClient::Row& row = rows[*values[0]];
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (values[i]) row.emplace(table.columns[i], *values[i]);
    }
  }
  return rows;
}

}  // namespace

AuditResult audit_cache(PgSession& db, RedisCacheClient& cache) {
  AuditResult result;
  for (const CachedTable& table : cached_tables()) {
    const auto truth = rows_in_database(db, table);
    for (const RedisCacheClient::CachedEntry& entry : cache.scan(kSchema, table.name)) {
      ++result.cached_rows;
      const std::string id = entry.key_values.at(0);
      const auto row = truth.find(id);
      if (row == truth.end()) {
        result.stale.push_back(
            fmt::format("{} {}: cached, but deleted in PostgreSQL", table.name, id));
      } else if (row->second != entry.row) {
        result.stale.push_back(
            fmt::format("{} {}: cached row differs from PostgreSQL", table.name, id));
      }
      if (entry.ttl.count() <= 0 || entry.ttl > table.ttl) {
        result.bad_ttl.push_back(fmt::format("{} {}: TTL {} ms (table TTL {} s)", table.name, id,
                                             entry.ttl.count(), table.ttl.count()));
      }
    }
  }
  return result;
}

std::string describe(const AuditResult& r) {
  std::string out = fmt::format(
      "audit: {} cached rows checked against PostgreSQL: {} stale, {} "
      "without a proper TTL\n",
      r.cached_rows, r.stale.size(), r.bad_ttl.size());
  for (const std::string& line : r.stale) out += "  stale: " + line + "\n";
  for (const std::string& line : r.bad_ttl) out += "  ttl:   " + line + "\n";
  return out;
}

}  // namespace sabot::examples::cache
