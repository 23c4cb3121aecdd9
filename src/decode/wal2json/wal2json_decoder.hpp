// Wal2jsonDecoder: turns the JSON that the wal2json output plugin (2.x) writes into DecodeHandler
// calls. Pure: no I/O; one instance per replication stream.
//
// What it expects is exactly what wal2json_plugin_options() (wal2json_options.hpp) asks for
// (xids, timestamps, LSNs, types, type OIDs, primary keys). Fields it needs for a correct event
// are required; a document without them is a protocol error, never a default. Unknown keys are
// ignored so that wal2json options we do not send (e.g. include-origin, include-not-null) cannot
// break decoding.
//
// Column values keep PostgreSQL's text output form (sabot::Value):
//   JSON string       -> its decoded content
//   JSON number       -> the number token exactly as written (numeric 1.50 stays "1.50"; a 40-digit
//                        numeric is never rounded through a double)
//   JSON true / false -> "t" / "f" (PostgreSQL's boolean output)
//   JSON null         -> Value::null()
//   bytea             -> "\x" + the hex digits: wal2json strips the "\x" of bytea's hex output,
//                        the decoder puts it back so Value::as_bytes() works
// wal2json limitations a user can see (they are the plugin's, the decoder cannot undo them):
//   - float4/float8/numeric NaN, Infinity and -Infinity are written as JSON null: they cannot be
//     told apart from SQL NULL.
//   - unchanged TOASTed columns of an UPDATE are left out of "columns": the column is absent,
//     not NULL (Column::unchanged_toast is never set by this decoder).
//   - format 1 drops NULL values from "oldkeys" (REPLICA IDENTITY FULL old rows lack their NULL
//     columns); format 2's "identity" keeps them.
//   - format 1 writes nothing for TRUNCATE (the transaction arrives with no changes) and has no
//     commit LSN: its "nextlsn" (the commit record's end) is used as commit LSN, end LSN and as
//     every event's lsn.
//   - UPDATE/DELETE on a table with neither primary key nor replica identity are not written by
//     wal2json at all (only a server WARNING).
//   - bytea is only correct with bytea_output = hex (the default): with 'escape' wal2json cuts
//     the first two characters off an escape-format value; the decoder rejects a bytea value that
//     is not hex digits rather than pass on a corrupted one.
//   - output is not valid JSON when the database encoding is not UTF8 or when a logical message
//     carries non-UTF-8 bytes (wal2json copies message content verbatim and stops at the first
//     zero byte); such a payload is a protocol error.
//
// Errors: malformed or truncated JSON, an unknown action or kind, a missing required field, a
// field of the wrong type, an xid mismatch between BEGIN and COMMIT, COMMIT without BEGIN, BEGIN
// inside a transaction, a change outside a transaction (format 2) throw
// CdcError{ErrorKind::Protocol} naming the XLogData position (wal_start), what is wrong and the
// first bytes of the payload. A document is decoded completely before the handler sees any of it,
// so a bad document never produces half its events. After any exception leaves decode() (the
// decoder's or the handler's), the decoder forgets the open transaction: the stream must resume at
// a transaction boundary, which a restart from the slot's confirmed position does.
//
// Thread-safety: none; one thread per instance. The handler is called synchronously from decode().
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "decode/decode_handler.hpp"

namespace sabot::decode {

class Wal2jsonDecoder final : public Decoder {
 public:
  // format_version: wal2json's "format-version", 1 or 2. Anything else throws CdcError{Config}.
  explicit Wal2jsonDecoder(int format_version);
  ~Wal2jsonDecoder() override;
  Wal2jsonDecoder(const Wal2jsonDecoder&) = delete;
  Wal2jsonDecoder& operator=(const Wal2jsonDecoder&) = delete;

  // One XLogData payload: a format-2 document (one action) or a format-1 document (one whole
  // transaction, or one non-transactional message).
  void decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) override;

  int format_version() const;
  // Format 2: between a "B" and its "C". Format 1 is never inside a transaction between calls.
  bool in_transaction() const;
  // Forget any open transaction (e.g. when the stream is restarted).
  void reset();

 private:
  struct Impl;  // keeps simdjson out of this header
  std::unique_ptr<Impl> impl_;
};

}  // namespace sabot::decode
