// CopyFrame: one CopyData message a logical walsender sends inside START_REPLICATION, parsed into
// plain values. PostgreSQL docs, "Streaming Replication Protocol", START_REPLICATION:
//
//   XLogData (B)                  Byte1('w')  Int64 dataStart   start of the WAL data in this frame
//                                             Int64 walEnd      current end of WAL on the server
//                                             Int64 sendTime    server clock, µs since 2000-01-01
//                                             Byte(n) data      a section of the WAL data stream
//   Primary keepalive message (B) Byte1('k')  Int64 walEnd      current end of WAL on the server
//                                             Int64 sendTime    server clock, µs since 2000-01-01
//                                             Byte1 reply       1: reply as soon as possible
//
// XLogData's data is everything after its 25 bytes of type and header; a keepalive is exactly 18
// bytes. Integers are big-endian (read with base::ByteReader).
//
// Ownership and lifetime: XLogData::data is a view into the parsed buffer, valid as long as it is.
// Errors: an empty message, an unknown frame type, a short XLogData header, a short keepalive or
// bytes after a keepalive's last field throw sabot::CdcError{ErrorKind::Protocol} naming the frame
// ("XLogData header", "primary keepalive message") and what is wrong. The caller adds where in the
// stream it happened. Pure: no I/O, no state.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "sabot/lsn.hpp"

namespace sabot::decode {

struct XLogData {
  Lsn wal_start;          // dataStart: the WAL position of data's first byte
  Lsn wal_end;            // the server's WAL end when it sent the frame
  int64_t send_time = 0;  // server clock, microseconds since 2000-01-01 00:00 (PostgreSQL epoch)
  std::string_view data;  // the plugin's message: input to a decoder
};

struct PrimaryKeepalive {
  Lsn wal_end;            // the server's WAL end: confirmable when nothing is in flight
  int64_t send_time = 0;  // server clock, microseconds since 2000-01-01 00:00 (PostgreSQL epoch)
  bool reply_requested = false;  // answer with a standby status update now, or time out
};

using CopyFrame = std::variant<XLogData, PrimaryKeepalive>;

// Frame sizes, type byte included.
inline constexpr size_t kXLogDataHeaderSize = 25;
inline constexpr size_t kPrimaryKeepaliveSize = 18;

// Parses one CopyData payload (the bytes PQgetCopyData returned). Throws as described above.
CopyFrame parse_copy_frame(std::string_view payload);

}  // namespace sabot::decode
