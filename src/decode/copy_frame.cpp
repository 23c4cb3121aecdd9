#include "decode/copy_frame.hpp"

#include <fmt/format.h>

#include "base/byte_reader.hpp"
#include "sabot/error.hpp"

namespace sabot::decode {

namespace {

// The field names say which frame they belong to: ByteReader puts them in its messages
// ("truncated XLogData header (walEnd): needs 8 bytes at offset 9, 2 left").
XLogData parse_xlogdata(base::ByteReader& reader) {
  XLogData frame;
  frame.wal_start = Lsn(reader.read_u64("XLogData header (dataStart)"));
  frame.wal_end = Lsn(reader.read_u64("XLogData header (walEnd)"));
  frame.send_time = reader.read_i64("XLogData header (sendTime)");
  frame.data = reader.read_bytes(reader.remaining(), "XLogData data");
  return frame;
}

PrimaryKeepalive parse_keepalive(base::ByteReader& reader) {
  PrimaryKeepalive frame;
  frame.wal_end = Lsn(reader.read_u64("primary keepalive message (walEnd)"));
  frame.send_time = reader.read_i64("primary keepalive message (sendTime)");
  // Any non-zero byte asks for a reply: the server only ever sends 0 or 1.
  frame.reply_requested = reader.read_u8("primary keepalive message (replyRequested)") != 0;
  // A longer keepalive is not one we know how to read: refuse rather than guess.
  reader.expect_end("primary keepalive message");
  return frame;
}

}  // namespace

CopyFrame parse_copy_frame(std::string_view payload) {
  if (payload.empty()) {
    throw CdcError(ErrorKind::Protocol,
                   "empty CopyData message from the walsender: no replication frame type byte");
  }
  base::ByteReader reader(payload);
  const uint8_t type = reader.read_u8("replication frame type");
  switch (type) {
    case 'w':
      return parse_xlogdata(reader);
    case 'k':
      return parse_keepalive(reader);
    default:
      throw CdcError(ErrorKind::Protocol,
                     fmt::format("unknown replication frame type 0x{:02x} in a CopyData message of "
                                 "{} bytes: a walsender sends only XLogData ('w') and primary "
                                 "keepalive messages ('k')",
                                 type, payload.size()));
  }
}

}  // namespace sabot::decode
