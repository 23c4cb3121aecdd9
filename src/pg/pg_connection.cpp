#include "pg/pg_connection.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::pg {

// ---- PgResult ---------------------------------------------------------------------------------

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::~PgResult() {
  if (result_) PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
int PgResult::rows() const { return PQntuples(result_); }
int PgResult::columns() const { return PQnfields(result_); }
bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column); }
std::string_view PgResult::get(int row, int column) const {
  return std::string_view(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}
std::optional<std::string> PgResult::get_optional(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(get(row, column));
}

// ---- connection parameters ----------------------------------------------------------------------

namespace {

void set_param(std::vector<std::pair<std::string, std::string>>& params, const std::string& key,
               const std::string& value) {
  for (auto& [k, v] : params) {
    if (k == key) {
      v = value;
      return;
    }
  }
  params.emplace_back(key, value);
}

std::string param_or(const std::vector<std::pair<std::string, std::string>>& params,
                     const std::string& key, const std::string& fallback) {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return fallback;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> connection_params(const PostgresCdcConfig& config,
                                                                  ConnectionKind kind) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!config.dsn.empty()) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(config.dsn.c_str(), &error);
    if (!options) {
      std::string why = error ? error : "out of memory";
      if (error) PQfreemem(error);
      while (!why.empty() && why.back() == '\n') why.pop_back();
      throw CdcError(ErrorKind::Config,
                     fmt::format("invalid connection string: {}. Use 'host=... port=... user=... "
                                 "dbname=...' or 'postgresql://user@host:port/dbname'",
                                 why));
    }
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (o->val && *o->val) params.emplace_back(o->keyword, o->val);
    }
    PQconninfoFree(options);
  }
  if (!config.host.empty()) set_param(params, "host", config.host);
  if (config.port) set_param(params, "port", std::to_string(*config.port));
  if (!config.user.empty()) set_param(params, "user", config.user);
  if (!config.password.empty()) set_param(params, "password", config.password);
  if (!config.database.empty()) set_param(params, "dbname", config.database);
  if (param_or(params, "connect_timeout", "").empty()) {
    set_param(params, "connect_timeout", std::to_string(config.connect_timeout.count()));
  }
  if (param_or(params, "application_name", "").empty()) {
    set_param(params, "application_name", "sabot-cdc");
  }
  // Decoded timestamps and dates come out in one unambiguous form, whatever the server default.
  std::string options = param_or(params, "options", "");
  options += (options.empty() ? "" : " ");
  options += "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=1 "
             "-c bytea_output=hex";
  set_param(params, "options", options);
  if (kind == ConnectionKind::Replication) set_param(params, "replication", "database");
  return params;
}

// ---- errors -------------------------------------------------------------------------------------

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

[[noreturn]] void throw_connect_error(const std::string& target, const std::string& libpq_message) {
  const std::string msg = trim(libpq_message);
  if (contains(msg, "password authentication failed") || contains(msg, "no password supplied") ||
      contains(msg, "authentication failed") || contains(msg, "password is required")) {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("authentication to PostgreSQL at {} failed: {}. Check the user and "
                               "password (--dsn, PGUSER/PGPASSWORD or ~/.pgpass)",
                               target, msg));
  }
  if (contains(msg, "no pg_hba.conf entry")) {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("PostgreSQL at {} refused the connection: {}. Add a pg_hba.conf "
                               "line for this user (replication connections need a line for the "
                               "database, e.g. 'host all USER ADDRESS scram-sha-256') and reload",
                               target, msg));
  }
  if (contains(msg, "does not exist")) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("PostgreSQL at {}: {}. Check the user and database names", target,
                               msg));
  }
  throw CdcError(ErrorKind::Connection,
                 fmt::format("cannot connect to PostgreSQL at {}: {}. Check that the server is "
                             "running and reachable at that host and port (pg_isready -h HOST -p "
                             "PORT tells)",
                             target, msg));
}

}  // namespace

void throw_server_error(std::string_view sqlstate, std::string_view message, std::string_view what) {
  std::string msg = trim(std::string(message));
  while (!msg.empty() && msg.back() == '.') msg.pop_back();  // we add our own sentence after it
  const std::string head = fmt::format("{} failed: {}", what, msg);
  // Class 08 (connection exception) and 57P (shutdown, crash, terminated backend): the server or
  // our session went away; the same request may well work after reconnecting.
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
    throw CdcError(ErrorKind::Connection, head);
  }
  if (sqlstate == "55006" || contains(msg, "is active for PID")) {
    throw CdcError(ErrorKind::SlotInUse,
                   head + ". Another process is streaming from this slot: stop it, or use another "
                          "slot (see 'sabot-cdc slots')");
  }
  if (sqlstate == "58P01" || contains(msg, "could not access file")) {
    throw CdcError(ErrorKind::MissingPlugin,
                   head + ". The output plugin is not installed on the server: install it (Debian: "
                          "apt-get install postgresql-15-wal2json) or use --plugin pgoutput, which "
                          "is built into PostgreSQL");
  }
  if (contains(msg, "wal_level")) {
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and "
                          "restart PostgreSQL");
  }
  if (contains(msg, "publication \"") && contains(msg, "does not exist")) {
    throw CdcError(ErrorKind::Config,
                   head + ". pgoutput reads publications as they were when each change was "
                          "written: create the publication before the slot ('sabot-cdc init' "
                          "does both in that order). Changes written before the publication "
                          "existed cannot be decoded with it: drop and recreate the slot");
  }
  if (sqlstate == "42704" && contains(msg, "replication slot")) {
    throw CdcError(ErrorKind::SlotMissing,
                   head + ". Create it with 'sabot-cdc init --slot NAME' or pass --create-slot");
  }
  if (sqlstate == "53400" || contains(msg, "all replication slots are in use")) {
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Raise max_replication_slots (restart needed) or drop unused slots "
                          "('sabot-cdc slots drop NAME')");
  }
  if (sqlstate == "53300" || contains(msg, "max_wal_senders")) {
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Raise max_wal_senders (restart needed) or stop other replication "
                          "clients");
  }
  if (sqlstate == "42501") {
    throw CdcError(ErrorKind::Authentication,
                   head + ". The role lacks a privilege: logical replication needs the REPLICATION "
                          "attribute (ALTER ROLE name REPLICATION) and CREATE on the database for "
                          "publications");
  }
  throw CdcError(ErrorKind::Server, head);
}

// ---- PgConnection -------------------------------------------------------------------------------

PgConnection::PgConnection(const PostgresCdcConfig& config, ConnectionKind kind) {
  const auto params = connection_params(config, kind);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [k, v] : params) {
    keywords.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (!conn_) throw CdcError(ErrorKind::Connection, "libpq could not allocate a connection");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string target = fmt::format("{}:{}", param_or(params, "host", "(default socket)"),
                                           param_or(params, "port", "5432"));
    const std::string message = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw_connect_error(target, message);
  }
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

PgResult PgConnection::exec(const std::string& sql, std::string_view what) {
  PgResult result(PQexec(conn_, sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_BOTH) {
    return result;
  }
  if (!result.raw() || PQstatus(conn_) == CONNECTION_BAD) {
    throw CdcError(ErrorKind::Connection,
                   fmt::format("{} failed: connection to {} lost: {}", what, describe_target(),
                               trim(PQerrorMessage(conn_))));
  }
  const char* sqlstate = PQresultErrorField(result.raw(), PG_DIAG_SQLSTATE);
  const char* message = PQresultErrorMessage(result.raw());
  throw_server_error(sqlstate ? sqlstate : "", message ? message : "", what);
}

std::string PgConnection::quote_literal(std::string_view text) const {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (!quoted) throw CdcError(ErrorKind::Config, trim(PQerrorMessage(conn_)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string PgConnection::quote_identifier(std::string_view text) const {
  char* quoted = PQescapeIdentifier(conn_, text.data(), text.size());
  if (!quoted) throw CdcError(ErrorKind::Config, trim(PQerrorMessage(conn_)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string PgConnection::describe_target() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  return fmt::format("{}:{}", host ? host : "?", port ? port : "?");
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

}  // namespace sabot::pg
