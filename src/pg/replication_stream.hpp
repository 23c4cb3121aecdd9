// ReplicationStream: the CopyBoth conversation of a logical walsender (PostgreSQL docs,
// "Streaming Replication Protocol"). It moves bytes and decodes none of them: each CopyData
// message from the server is handed up as it came (decode/copy_frame.hpp parses the XLogData 'w'
// and primary keepalive 'k' frames); the one message it writes is the standby status update:
//
//   Standby status    'r' Int64 write, Int64 flush, Int64 apply, Int64 sendTime, Byte1 replyNow
//
// Reads are non-blocking: read() returns every message already buffered by libpq and reports
// WouldBlock when the socket has nothing more; wait_readable() polls the socket. A frame view is
// valid until the next read(). Not thread-safe; the connection is borrowed, not owned.
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

// What one read() found: a CopyData message's bytes, nothing yet, or the end of the copy.
struct StreamRead {
  enum class Kind { Frame, WouldBlock, Ended };
  Kind kind = Kind::WouldBlock;
  std::string_view frame;  // Kind::Frame: one CopyData payload, undecoded; valid until next read()
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

  // Next CopyData message without blocking. Throws CdcError{Connection} when the connection
  // breaks (naming the last position noted) and the server's error when it ends the copy with one.
  StreamRead read();
  // The caller's newest decoded position, named in a lost-connection error. The stream does not
  // decode, so it knows only what it is told (and the position it was started at).
  void note_position(Lsn position) { last_position_ = position; }
  // The start position or the last one noted.
  Lsn last_position() const { return last_position_; }
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
