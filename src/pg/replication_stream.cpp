#include "pg/replication_stream.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "base/pg_epoch.hpp"
#include "base/sql_quote.hpp"
#include "pg/reply_values.hpp"
#include "sabot/error.hpp"

namespace sabot::pg {

namespace {


void write_u64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

int64_t now_pg_micros() {
  using namespace std::chrono;
  return base::pg_micros_from_timestamp(time_point_cast<microseconds>(system_clock::now()));
}

}  // namespace

std::string start_replication_command(std::string_view slot, Lsn start,
                                      const PluginOptions& options) {
  using base::IdentifierQuoting;
  std::string sql = fmt::format("START_REPLICATION SLOT {} LOGICAL {}",
                                base::quote_identifier(slot, IdentifierQuoting::Always),
                                start.to_string());
  if (!options.empty()) {
    sql += " (";
    for (size_t i = 0; i < options.size(); ++i) {
      if (i) sql += ", ";
      sql += base::quote_identifier(options[i].first, IdentifierQuoting::Always) + " " +
             base::quote_literal(options[i].second);
    }
    sql += ")";
  }
  return sql;
}

ReplicationStream::~ReplicationStream() { free_buffer(); }

void ReplicationStream::free_buffer() {
  if (buffer_) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
}

SystemIdentity ReplicationStream::identify_system() {
  PgResult result = conn_.exec("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM");
  if (result.rows() != 1 || result.columns() < 4) {
    throw CdcError(ErrorKind::Protocol, "IDENTIFY_SYSTEM returned an unexpected result shape");
  }
  SystemIdentity identity;
  identity.system_id = std::string(result.get(0, 0));
  identity.timeline = reply_int32(result.get(0, 1), "IDENTIFY_SYSTEM (timeline)");
  auto lsn = Lsn::parse(result.get(0, 2));
  if (!lsn) throw CdcError(ErrorKind::Protocol, "IDENTIFY_SYSTEM returned an invalid xlogpos");
  identity.xlog_position = *lsn;
  identity.database = std::string(result.get(0, 3));
  return identity;
}

void ReplicationStream::start(std::string_view slot, Lsn start, const PluginOptions& options) {
  conn_.exec(start_replication_command(slot, start, options),
             fmt::format("START_REPLICATION of slot \"{}\"", slot));
  if (PQsetnonblocking(conn_.raw(), 1) != 0) {
    throw CdcError(ErrorKind::Connection, "cannot switch the replication connection to non-blocking");
  }
  started_ = true;
  ended_ = false;
  last_position_ = start;
}

void ReplicationStream::connection_lost(std::string_view during) {
  std::string why = PQerrorMessage(conn_.raw());
  while (!why.empty() && why.back() == '\n') why.pop_back();
  throw CdcError(ErrorKind::Connection,
                 fmt::format("replication connection to {} lost while {} (last position {}): {}",
                             conn_.describe_target(), during, last_position_.to_string(), why));
}

StreamRead ReplicationStream::read() {
  free_buffer();
  StreamRead msg;
  if (ended_) {
    msg.kind = StreamRead::Kind::Ended;
    return msg;
  }
  int len = PQgetCopyData(conn_.raw(), &buffer_, /*async=*/1);
  if (len == 0) {
    if (PQconsumeInput(conn_.raw()) == 0) connection_lost("reading");
    len = PQgetCopyData(conn_.raw(), &buffer_, 1);
    if (len == 0) return msg;  // WouldBlock
  }
  if (len == -1) {
    // The server ended the copy: read its final result (an error explains why).
    ended_ = true;
    PGresult* res = PQgetResult(conn_.raw());
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      std::string message = PQresultErrorMessage(res);
      std::string sqlstate = state ? state : "";
      PQclear(res);
      throw_server_error(sqlstate, message, "replication stream");
    }
    if (res) PQclear(res);
    while ((res = PQgetResult(conn_.raw())) != nullptr) PQclear(res);
    msg.kind = StreamRead::Kind::Ended;
    return msg;
  }
  if (len == -2) connection_lost("reading");

  msg.kind = StreamRead::Kind::Frame;
  msg.frame = std::string_view(buffer_, static_cast<size_t>(len));
  return msg;
}

bool ReplicationStream::wait_readable(std::chrono::milliseconds timeout) {
  pollfd pfd{};
  pfd.fd = PQsocket(conn_.raw());
  if (pfd.fd < 0) connection_lost("waiting");
  pfd.events = POLLIN;
  // Pending output (a status update that did not fit the socket) must go out too.
  if (PQflush(conn_.raw()) == 1) pfd.events |= POLLOUT;
  const int rc = poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (rc < 0 && errno != EINTR) connection_lost("polling");
  return rc > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP));
}

void ReplicationStream::send_status(Lsn write, Lsn flush, Lsn apply, bool reply_now) {
  if (!started_ || ended_) return;
  char msg[34];
  msg[0] = 'r';
  write_u64(msg + 1, write.value());
  write_u64(msg + 9, flush.value());
  write_u64(msg + 17, apply.value());
  write_u64(msg + 25, static_cast<uint64_t>(now_pg_micros()));
  msg[33] = reply_now ? 1 : 0;
  if (PQputCopyData(conn_.raw(), msg, sizeof msg) <= 0) connection_lost("sending a status update");
  if (PQflush(conn_.raw()) < 0) connection_lost("sending a status update");
}

void ReplicationStream::finish() {
  free_buffer();
  if (!started_ || ended_) return;
  ended_ = true;
  PGconn* c = conn_.raw();
  PQsetnonblocking(c, 0);
  if (PQputCopyEnd(c, nullptr) <= 0) return;
  PQflush(c);
  // Drain what the server still sends until it answers CopyDone, then the command result.
  char* rest = nullptr;
  int len;
  while ((len = PQgetCopyData(c, &rest, /*async=*/0)) >= 0) {
    if (rest) PQfreemem(rest);
    rest = nullptr;
  }
  PGresult* res;
  while ((res = PQgetResult(c)) != nullptr) PQclear(res);
}

}  // namespace sabot::pg
