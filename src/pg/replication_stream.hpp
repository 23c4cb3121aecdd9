// ReplicationStream: the CopyBoth conversation of a logical walsender (PostgreSQL docs,
// "Streaming Replication Protocol").
//
//   XLogData          'w' Int64 dataStart, Int64 walEnd, Int64 sendTime, Byte(n) data
//   Primary keepalive 'k' Int64 walEnd, Int64 sendTime, Byte1 replyRequested
//   Standby status    'r' Int64 write, Int64 flush, Int64 apply, Int64 sendTime, Byte1 replyNow
//
// Reads are non-blocking: read() returns every message already buffered by libpq and reports
// WouldBlock when the socket has nothing more; wait_readable() polls the socket. A message's data
// view is valid until the next read(). Not thread-safe; the connection is borrowed, not owned.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/pg_connection.hpp"
#include "sabot/lsn.hpp"

namespace sabot::pg {

struct SystemIdentity {
  std::string system_id;
  int timeline = 0;
  Lsn xlog_position;
  std::string database;
};

struct StreamMessage {
  enum class Kind { XLogData, Keepalive, WouldBlock, Ended };
  Kind kind = Kind::WouldBlock;
  Lsn wal_start;        // XLogData only
  Lsn wal_end;          // server's WAL end (both kinds)
  bool reply_requested = false;  // Keepalive only
  std::string_view data;         // XLogData payload
};

using PluginOptions = std::vector<std::pair<std::string, std::string>>;

// START_REPLICATION SLOT "slot" LOGICAL X/Y ("name" 'value', ...), every name and value quoted.
std::string start_replication_command(std::string_view slot, Lsn start,
                                      const PluginOptions& options);

class ReplicationStream {
 public:
  explicit ReplicationStream(PgConnection& connection) : conn_(connection) {}
  ~ReplicationStream();
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  SystemIdentity identify_system();
  // Throws CdcError classified by the server's answer (slot in use, plugin missing, ...).
  void start(std::string_view slot, Lsn start, const PluginOptions& options);

  // Next message without blocking. Throws CdcError{Protocol} on malformed framing (naming the
  // position) and CdcError{Connection} when the connection breaks.
  StreamMessage read();
  // Waits until the socket is readable or `timeout` passes. Returns true if readable.
  bool wait_readable(std::chrono::milliseconds timeout);

  void send_status(Lsn write, Lsn flush, Lsn apply, bool reply_now = false);
  // Ends the copy cleanly (CopyDone) and reads the server's final result. Safe to call twice.
  void finish();
  bool started() const { return started_; }

 private:
  void free_buffer();
  [[noreturn]] void connection_lost(std::string_view during);

  PgConnection& conn_;
  char* buffer_ = nullptr;
  bool started_ = false;
  bool ended_ = false;
  Lsn last_position_;
};

}  // namespace sabot::pg
