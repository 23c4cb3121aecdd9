// PgConnection: an owned libpq connection (regular or replication=database) whose failures become
// CdcErrors that name the problem and the fix. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/config.hpp"

struct pg_conn;
struct pg_result;

namespace sabot::pg {

// Owned PGresult; rows × columns of text, NULL as nullopt.
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  bool is_null(int row, int column) const;
  std::string_view get(int row, int column) const;  // "" for NULL
  std::optional<std::string> get_optional(int row, int column) const;
  pg_result* raw() const { return result_; }

 private:
  pg_result* result_;
};

enum class ConnectionKind { Regular, Replication };

class PgConnection {
 public:
  // Connects; throws CdcError{Connection|Authentication|Config}.
  PgConnection(const PostgresCdcConfig& config, ConnectionKind kind);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one SQL statement (simple query protocol: works on replication connections too).
  // Throws CdcError classified by SQLSTATE, with `what` naming the operation.
  PgResult exec(const std::string& sql, std::string_view what);
  // Takes the result of a statement sent on this connection (PQexec, PQgetResult): returns it
  // when it succeeded — with `copy_out`, also when it started a COPY TO STDOUT — and throws as
  // exec() does otherwise (a null result: the connection was lost).
  PgResult checked(pg_result* raw, std::string_view what, bool copy_out);
  // Quotes a string literal / identifier for this connection's encoding.
  std::string quote_literal(std::string_view text) const;
  std::string quote_identifier(std::string_view text) const;

  pg_conn* raw() const { return conn_; }
  // "host:port" (or the socket directory) for messages.
  std::string describe_target() const;
  // The role this connection logged in as.
  std::string user() const;
  int server_version() const;

 private:
  pg_conn* conn_ = nullptr;
};

// One `COPY ... TO STDOUT` on a regular connection, read row by row (libpq buffers what the
// socket brings; nothing else is held). Borrows the connection, which runs nothing else until
// the COPY has ended or this object is gone. Not thread-safe.
class CopyOut {
 public:
  // Sends `copy_sql`; throws CdcError as PgConnection::exec does when it cannot start.
  CopyOut(PgConnection& conn, const std::string& copy_sql, std::string_view what);
  // The rest of a COPY not read to its end is read and dropped, so the connection can run the
  // next statement: use it for bounded reads.
  ~CopyOut();
  CopyOut(const CopyOut&) = delete;
  CopyOut& operator=(const CopyOut&) = delete;

  // The next row's bytes (with its newline), valid until the next call or the destructor;
  // nullopt once the COPY has ended well. Throws CdcError as exec does when it ended with an
  // error (a statement_timeout, the table dropped, the connection lost).
  std::optional<std::string_view> next_row();

 private:
  void free_row();
  void discard_results();  // the results left after the COPY's end

  PgConnection& conn_;
  std::string what_;
  char* row_ = nullptr;  // libpq's buffer of the last row (PQfreemem)
  bool done_ = false;
};

// The libpq keyword/value pairs for `config` (dsn expanded, discrete fields override).
std::vector<std::pair<std::string, std::string>> connection_params(const PostgresCdcConfig& config,
                                                                  ConnectionKind kind);

// A libpq error message written with PQERRORS_VERBOSE ("FATAL:  28P01: text\nLOCATION: ...")
// split into its SQLSTATE ("" if none: libpq's own errors have none) and the text as the default
// verbosity writes it ("FATAL:  text").
struct VerboseError {
  std::string sqlstate;
  std::string message;
};
VerboseError split_verbose_error(std::string_view text);

// What an invalidated slot means and how to recover: one text for the server's error when
// starting it and for wal_status = 'lost' seen in pg_replication_slots.
std::string slot_invalidated_advice();

// Maps a server error (SQLSTATE + message) to a CdcError with advice, carrying the SQLSTATE.
// `what` names the operation.
[[noreturn]] void throw_server_error(std::string_view sqlstate, std::string_view message,
                                     std::string_view what);

}  // namespace sabot::pg
