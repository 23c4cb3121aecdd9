#include "pg_session.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace sabot::examples {

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr run(PGconn* conn, const std::string& sql) {
  ResultPtr result(PQexec(conn, sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string statement = sql.size() > 200 ? sql.substr(0, 200) + "..." : sql;
    throw std::runtime_error("SQL failed: " + std::string(PQerrorMessage(conn)) +
                             "statement: " + statement);
  }
  return result;
}

}  // namespace

PgSession::PgSession(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn_);
    PQfinish(conn_);
    throw std::runtime_error("cannot connect to PostgreSQL (" + dsn + "): " + message);
  }
  exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET client_min_messages = warning");
}

PgSession::~PgSession() {
  PQfinish(conn_);
}

void PgSession::exec(const std::string& sql) {
  run(conn_, sql);
}

std::vector<SqlRow> PgSession::query(const std::string& sql) {
  ResultPtr result = run(conn_, sql);
  std::vector<SqlRow> rows;
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    SqlRow& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(result.get()); ++c) {
      if (PQgetisnull(result.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(PQgetvalue(result.get(), r, c));
      }
    }
  }
  return rows;
}

std::string PgSession::scalar(const std::string& sql) {
  const std::vector<SqlRow> rows = query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

Lsn PgSession::current_wal_insert_lsn() {
  const std::string text = scalar("SELECT pg_current_wal_insert_lsn()");
  const auto lsn = Lsn::parse(text);
  if (!lsn) throw std::runtime_error("server returned an unreadable LSN: " + text);
  return *lsn;
}

std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace sabot::examples
