// The audit: every row in the cache compared with its row in PostgreSQL. A cached row must equal
// the database's row or be absent — a cached row that differs, or whose row was deleted, is stale
// — and every cached row must carry a TTL no longer than its table's.
#pragma once

#include <sabot/redis_sink.hpp>
#include <string>
#include <vector>

#include "pg_session.hpp"

namespace sabot::examples::cache {

struct AuditResult {
  size_t cached_rows = 0;
  std::vector<std::string> stale;    // one description per stale row
  std::vector<std::string> bad_ttl;  // rows without a TTL or with one above the table's
  bool clean() const { return stale.empty() && bad_ttl.empty(); }
};

AuditResult audit_cache(PgSession& db, RedisCacheClient& cache);
std::string describe(const AuditResult& result);

}  // namespace sabot::examples::cache
