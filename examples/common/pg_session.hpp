// PgSession: a plain libpq connection for the examples' own SQL — schema setup, workloads, and the
// "truth" queries the integration tests compare against. The session uses TimeZone UTC and
// DateStyle ISO, as sabot-cdc's replication session does, so values read here have the same text
// form as values in the change stream.
#pragma once

#include <optional>
#include <sabot/lsn.hpp>
#include <string>
#include <vector>

struct pg_conn;

namespace sabot::examples {

using SqlRow = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL

class PgSession {
 public:
  // Throws std::runtime_error with libpq's message when the connection fails.
  explicit PgSession(const std::string& dsn);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs one or more statements (a string with BEGIN; ...; COMMIT; is one round trip).
  void exec(const std::string& sql);
  // Rows of the last statement.
  std::vector<SqlRow> query(const std::string& sql);
  // First column of the first row; "" when there is no row or it is NULL.
  std::string scalar(const std::string& sql);
  Lsn current_wal_insert_lsn();

 private:
  pg_conn* conn_ = nullptr;
};

// Quotes a string as an SQL literal ('it''s').
std::string sql_literal(const std::string& text);

}  // namespace sabot::examples
