#include "pg/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>
#include <tuple>

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

// `text` ending in '.', '?' or '!' (a '.' is added when it ends otherwise).
std::string as_sentence(std::string text) {
  if (text.empty() || (text.back() != '.' && text.back() != '?' && text.back() != '!')) {
    text += '.';
  }
  return text;
}

bool is_sqlstate_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

// The classification of a connection failure: the server's SQLSTATE decides; only libpq's own
// failures (refused, timed out, no password to send) come without one.
[[noreturn]] void throw_connect_error(const std::string& target, const VerboseError& error) {
  // The server's and libpq's messages end in various ways ("...TCP/IP connections?"): as a
  // sentence of its own, so the advice after it reads right.
  const std::string msg = as_sentence(error.message);
  const std::string& state = error.sqlstate;
  // 28P01 invalid_password; 28000 invalid_authorization_specification also covers a missing
  // pg_hba.conf line and an unknown role: the text only picks which advice fits.
  if (state == "28000" && contains(msg, "pg_hba.conf")) {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("PostgreSQL at {} refused the connection: {} Add a pg_hba.conf "
                               "line for this user (replication connections need a line for the "
                               "database, e.g. 'host all USER ADDRESS scram-sha-256') and reload",
                               target, msg),
                   state);
  }
  if (state == "28000" && contains(msg, "does not exist")) {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("PostgreSQL at {}: {} Check the user and database names", target,
                               msg),
                   state);
  }
  // libpq's own "fe_sendauth: no password supplied" (the server asked for one) has no SQLSTATE.
  const bool libpq_auth_failure = state.empty() && (contains(msg, "no password supplied") ||
                                                    contains(msg, "password is required"));
  if (state == "28P01" || state == "28000" || libpq_auth_failure) {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("authentication to PostgreSQL at {} failed: {} Check the user and "
                               "password (--dsn, PGUSER/PGPASSWORD or ~/.pgpass)",
                               target, msg),
                   state);
  }
  if (state == "3D000") {  // invalid_catalog_name: the database does not exist
    throw CdcError(ErrorKind::Config,
                   fmt::format("PostgreSQL at {}: {} Check the user and database names", target,
                               msg),
                   state);
  }
  // 42501 insufficient_privilege: e.g. a walsender for a role without REPLICATION.
  if (state == "42501") {
    throw CdcError(ErrorKind::Authentication,
                   fmt::format("PostgreSQL at {} refused the connection: {} Logical replication "
                               "needs the REPLICATION attribute (ALTER ROLE name REPLICATION)",
                               target, msg),
                   state);
  }
  // Anything else (no server, 57P03 cannot_connect_now while starting up, 53300
  // too_many_connections, ...) may pass once the server is back or less busy.
  throw CdcError(ErrorKind::Connection,
                 fmt::format("cannot connect to PostgreSQL at {}: {} Check that the server is "
                             "running and reachable at that host and port (pg_isready -h HOST -p "
                             "PORT tells)",
                             target, msg),
                 state);
}

// Class 08 connection_exception; 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
// cannot_connect_now, 57P05 idle_session_timeout: the server or our session went away, and the
// same request may well work after reconnecting (57P04 database_dropped will not).
bool is_connection_loss(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "57P05";
}

}  // namespace

namespace {

// Lines PQERRORS_VERBOSE adds to what the default verbosity writes.
bool is_verbose_only_line(std::string_view line) {
  for (std::string_view label : {"LOCATION:  ", "SCHEMA NAME:  ", "TABLE NAME:  ",
                                 "COLUMN NAME:  ", "DATATYPE NAME:  ", "CONSTRAINT NAME:  "}) {
    if (line.starts_with(label)) return true;
  }
  return false;
}

// Copies `line` to `out` without the "XXXXX: " SQLSTATE that follows a "<severity>:  ";
// `last_code` becomes the last code removed.
void append_without_codes(std::string_view line, std::string& out, std::string& last_code) {
  size_t from = 0;
  for (size_t at = line.find(":  "); at != std::string_view::npos; at = line.find(":  ", at + 1)) {
    const std::string_view code = line.substr(at + 3, 7);
    if (code.size() < 7 || !std::all_of(code.begin(), code.begin() + 5, is_sqlstate_char) ||
        code.substr(5) != ": ") {
      continue;
    }
    out += line.substr(from, at + 3 - from);
    last_code = std::string(code.substr(0, 5));
    from = at + 3 + 7;
  }
  out += line.substr(from);
}

}  // namespace

VerboseError split_verbose_error(std::string_view text) {
  // Each attempt (one per host or address tried) appends its error, so the last code is the one
  // of the attempt that failed last, as libpq's own (private) last_sqlstate.
  VerboseError out;
  std::string kept;
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    if (!is_verbose_only_line(line)) {
      if (!kept.empty()) kept += '\n';
      append_without_codes(line, kept, out.sqlstate);
    }
    line_start = line_end + 1;
  }
  out.message = trim(std::move(kept));
  return out;
}

std::string slot_invalidated_advice() {
  return "The server invalidated the slot (wal_status 'lost', usually because it retained more "
         "than max_slot_wal_keep_size): the WAL of every change after its confirmed position is "
         "gone, so those changes cannot be streamed any more. Retrying cannot help. To recover: "
         "drop the slot (sabot-cdc slots drop NAME), create a new one (sabot-cdc init), and take "
         "a new snapshot of the captured tables, since changes made in between are lost";
}

void throw_server_error(std::string_view sqlstate, std::string_view message, std::string_view what) {
  std::string msg = trim(std::string(message));
  while (!msg.empty() && msg.back() == '.') msg.pop_back();  // we add our own sentence after it
  const std::string head = fmt::format("{} failed: {}", what, msg);
  const std::string state(sqlstate);
  if (is_connection_loss(sqlstate)) throw CdcError(ErrorKind::Connection, head, state);
  if (sqlstate == "55006") {  // object_in_use: "replication slot ... is active for PID ..."
    throw CdcError(ErrorKind::SlotInUse,
                   head + ". Another process is streaming from this slot: stop it, or use another "
                          "slot (see 'sabot-cdc slots')",
                   state);
  }
  if (sqlstate == "58P01") {  // undefined_file: "could not access file" of the plugin library
    throw CdcError(ErrorKind::MissingPlugin,
                   head + ". The output plugin is not installed on the server: install it (Debian: "
                          "apt-get install postgresql-15-wal2json) or use --plugin pgoutput, which "
                          "is built into PostgreSQL",
                   state);
  }
  // 55000 object_not_in_prerequisite_state covers several prerequisites (wal_level, slots
  // enabled, a slot of another database, an invalidated slot...): the text picks the advice.
  if (sqlstate == "55000" && (contains(msg, "can no longer get changes from replication slot") ||
                              contains(msg, "has been invalidated"))) {
    throw CdcError(ErrorKind::SlotInvalidated, head + ". " + slot_invalidated_advice(), state);
  }
  if (sqlstate == "55000" && contains(msg, "wal_level")) {
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and "
                          "restart PostgreSQL",
                   state);
  }
  if (sqlstate == "55000" && contains(msg, "max_replication_slots")) {
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Raise max_replication_slots (restart needed) or drop unused slots "
                          "('sabot-cdc slots drop NAME')",
                   state);
  }
  // 42704 undefined_object is both a missing publication and a missing slot: the text picks.
  if (sqlstate == "42704" && contains(msg, "publication \"")) {
    throw CdcError(ErrorKind::Config,
                   head + ". pgoutput reads publications as they were when each change was "
                          "written: create the publication before the slot ('sabot-cdc init' "
                          "does both in that order). Changes written before the publication "
                          "existed cannot be decoded with it: drop and recreate the slot",
                   state);
  }
  if (sqlstate == "42704" && contains(msg, "replication slot")) {
    throw CdcError(ErrorKind::SlotMissing,
                   head + ". Create it with 'sabot-cdc init --slot NAME' or pass --create-slot",
                   state);
  }
  if (sqlstate == "53400") {  // configuration_limit_exceeded: "all replication slots are in use"
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Raise max_replication_slots (restart needed) or drop unused slots "
                          "('sabot-cdc slots drop NAME')",
                   state);
  }
  if (sqlstate == "53300") {  // too_many_connections: "... exceeds max_wal_senders"
    throw CdcError(ErrorKind::ServerSetting,
                   head + ". Raise max_wal_senders (restart needed) or stop other replication "
                          "clients",
                   state);
  }
  if (sqlstate == "42501") {  // insufficient_privilege
    throw CdcError(ErrorKind::Authentication,
                   head + ". The role lacks a privilege: logical replication needs the REPLICATION "
                          "attribute (ALTER ROLE name REPLICATION) and CREATE on the database for "
                          "publications",
                   state);
  }
  throw CdcError(ErrorKind::Server, head, state);
}

// ---- PgConnection -------------------------------------------------------------------------------

namespace {

// libpq's connect_timeout (seconds; 0 or absent: wait forever; 1 counts as 2, as libpq does).
std::optional<std::chrono::seconds> connect_timeout_of(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int seconds = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("connect_timeout '{}' is not a whole number of seconds", text));
  }
  if (seconds <= 0) return std::nullopt;
  return std::chrono::seconds(std::max(seconds, 2));
}

// Drives PQconnectPoll to the end. libpq applies connect_timeout only inside PQconnectdb, so it
// is applied here: to each socket (host or address) tried. False when one timed out (which ends
// the connection: the constructor then goes on with the next host of a multi-host list).
bool complete_connection(pg_conn* conn, std::optional<std::chrono::seconds> timeout) {
  using Clock = std::chrono::steady_clock;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  int socket = -1;
  Clock::time_point deadline{};
  while (status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED) {
    if (PQsocket(conn) != socket) {  // a new attempt: its own time limit
      socket = PQsocket(conn);
      if (timeout) deadline = Clock::now() + *timeout;
    }
    pollfd pfd{};
    pfd.fd = socket;
    pfd.events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    int wait_ms = -1;
    if (timeout) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                              Clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(left.count());
    }
    const int rc = poll(&pfd, 1, wait_ms);
    if (rc == 0 || (rc < 0 && errno == EINTR)) continue;  // the deadline check above ends it
    // Ready, or a poll error: PQconnectPoll tries the socket and reports what failed.
    status = PQconnectPoll(conn);
  }
  return true;
}

using Params = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> split_list(const char* text) {
  std::vector<std::string> items;
  if (text == nullptr || *text == '\0') return items;
  std::string_view rest(text);
  while (true) {
    const size_t comma = rest.find(',');
    items.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) return items;
    rest.remove_prefix(comma + 1);
  }
}

std::string join_from(const std::vector<std::string>& items, size_t first) {
  std::string out;
  for (size_t i = first; i < items.size(); ++i) out += (i > first ? "," : "") + items[i];
  return out;
}

// After a timeout on one host of a multi-host list (host=a,b,c): the parameters that go on with
// the hosts after it, as PQconnectdb would; nullopt when it was the last (or the only) one. The
// lists are read from the failed connection, so hosts from PGHOST or a service file count too.
std::optional<Params> params_after_timed_out_host(const Params& params, pg_conn* failed) {
  PQconninfoOption* options = PQconninfo(failed);
  if (options == nullptr) return std::nullopt;
  std::vector<std::string> hosts, addrs, ports;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    const std::string_view keyword(o->keyword);
    if (keyword == "host") hosts = split_list(o->val);
    if (keyword == "hostaddr") addrs = split_list(o->val);
    if (keyword == "port") ports = split_list(o->val);
  }
  PQconninfoFree(options);
  const size_t count = std::max(hosts.size(), addrs.size());
  const char* current = PQhost(failed);
  if (count < 2 || current == nullptr) return std::nullopt;
  size_t index = 0;
  while (index < count && !(index < hosts.size() && hosts[index] == current) &&
         !(index < addrs.size() && addrs[index] == current)) {
    ++index;
  }
  if (index + 1 >= count) return std::nullopt;
  Params rest = params;
  if (hosts.size() == count) set_param(rest, "host", join_from(hosts, index + 1));
  if (addrs.size() == count) set_param(rest, "hostaddr", join_from(addrs, index + 1));
  if (ports.size() == count) set_param(rest, "port", join_from(ports, index + 1));
  return rest;
}

// Connects to one of `params`' hosts. Asynchronous start only to set the error verbosity first:
// libpq keeps a failed connection's SQLSTATE private, and only a verbose error message shows it
// ("FATAL:  28P01: ..."). Returns the connection (never null) and whether it ended in time.
std::pair<pg_conn*, bool> start_and_complete(const Params& params,
                                             std::optional<std::chrono::seconds> timeout) {
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [k, v] : params) {
    keywords.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (!conn) throw CdcError(ErrorKind::Connection, "libpq could not allocate a connection");
  PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
  const bool in_time = PQstatus(conn) == CONNECTION_BAD || complete_connection(conn, timeout);
  return {conn, in_time};
}

}  // namespace

PgConnection::PgConnection(const PostgresCdcConfig& config, ConnectionKind kind) {
  Params params = connection_params(config, kind);
  const auto timeout = connect_timeout_of(param_or(params, "connect_timeout", ""));
  auto [conn, in_time] = start_and_complete(params, timeout);
  // A host that timed out: go on with the next one of a multi-host list, as PQconnectdb does.
  while (!in_time) {
    std::optional<Params> rest = params_after_timed_out_host(params, conn);
    if (!rest) break;
    PQfinish(conn);
    params = std::move(*rest);
    std::tie(conn, in_time) = start_and_complete(params, timeout);
  }
  conn_ = conn;
  if (!in_time || PQstatus(conn_) != CONNECTION_OK) {
    const std::string target = fmt::format("{}:{}", param_or(params, "host", "(default socket)"),
                                           param_or(params, "port", "5432"));
    // "timeout expired" is what PQconnectdb says in this case.
    const VerboseError error =
        in_time ? split_verbose_error(PQerrorMessage(conn_)) : VerboseError{"", "timeout expired"};
    PQfinish(conn_);
    conn_ = nullptr;
    throw_connect_error(target, error);
  }
  // Errors of queries read as before: the code comes from PQresultErrorField.
  PQsetErrorVerbosity(conn_, PQERRORS_DEFAULT);
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

PgResult PgConnection::exec(const std::string& sql, std::string_view what) {
  return checked(PQexec(conn_, sql.c_str()), what, false);
}

PgResult PgConnection::checked(pg_result* raw, std::string_view what, bool copy_out) {
  PgResult result(raw);
  const ExecStatusType status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_BOTH ||
      (copy_out && status == PGRES_COPY_OUT)) {
    return result;
  }
  const char* state = result.raw() ? PQresultErrorField(result.raw(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  // An error without a SQLSTATE comes from libpq, not the server: on a query that reached it,
  // that is the socket closing under us ("server closed the connection unexpectedly"), which
  // libpq reports before it marks the connection bad.
  const bool from_libpq = status == PGRES_FATAL_ERROR && sqlstate.empty();
  if (!result.raw() || PQstatus(conn_) == CONNECTION_BAD || from_libpq) {
    throw CdcError(ErrorKind::Connection,
                   fmt::format("{} failed: connection to {} lost: {}", what, describe_target(),
                               trim(PQerrorMessage(conn_))),
                   sqlstate);
  }
  const char* message = PQresultErrorMessage(result.raw());
  throw_server_error(sqlstate, message ? message : "", what);
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

std::string PgConnection::user() const {
  const char* name = PQuser(conn_);
  return name ? name : "";
}

std::string PgConnection::describe_target() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  return fmt::format("{}:{}", host ? host : "?", port ? port : "?");
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

// ---- COPY ... TO STDOUT -------------------------------------------------------------------------

CopyOut::CopyOut(PgConnection& conn, const std::string& copy_sql, std::string_view what)
    : conn_(conn), what_(what) {
  conn_.checked(PQexec(conn_.raw(), copy_sql.c_str()), what_, true);
}

CopyOut::~CopyOut() {
  free_row();
  if (done_) return;
  // Cut short: take the rest of its rows and its result, so the connection can run the next
  // statement (a ROLLBACK). Not cancelled: a cancel request can arrive late and hit that next
  // statement instead; the rest is at most a chunk (COPY reads bounded chunks only).
  char* row = nullptr;
  while (PQgetCopyData(conn_.raw(), &row, 0) >= 0) PQfreemem(row);
  discard_results();
}

void CopyOut::discard_results() {
  // A COPY that failed inside libpq (its buffer could not be allocated) keeps answering
  // PGRES_COPY_OUT, never null: stop there; the next PQexec (the ROLLBACK) ends it.
  while (PGresult* r = PQgetResult(conn_.raw())) {
    const bool still_copying = PQresultStatus(r) == PGRES_COPY_OUT;
    PQclear(r);
    if (still_copying || PQstatus(conn_.raw()) == CONNECTION_BAD) break;
  }
}

void CopyOut::free_row() {
  if (row_ != nullptr) PQfreemem(row_);
  row_ = nullptr;
}

std::optional<std::string_view> CopyOut::next_row() {
  free_row();
  if (done_) return std::nullopt;
  const int length = PQgetCopyData(conn_.raw(), &row_, 0);
  if (length >= 0) return std::string_view(row_, static_cast<size_t>(length));
  done_ = true;
  // The COPY ended (-1) or the connection failed (-2): the result says which; an error (a
  // statement_timeout, a lost connection) throws as exec() does.
  conn_.checked(PQgetResult(conn_.raw()), what_, false);
  discard_results();
  return std::nullopt;
}

}  // namespace sabot::pg
