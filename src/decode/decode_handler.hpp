// The interface between a pure decoder (wal2json, pgoutput) and the transaction assembler.
//
// A decoder turns the payload of one XLogData message into calls on a DecodeHandler, in stream
// order. It knows nothing of sockets, batching or acknowledgement. Contract for decoders:
//   - every transaction is delivered as on_begin, zero or more on_change, on_commit;
//   - events handed to on_change carry op, schema, table, columns, old, key_columns, lsn and the
//     message_* / truncate_* fields; the assembler fills transaction_id, commit_lsn, commit_time
//     and seq from the surrounding begin/commit;
//   - a non-transactional logical message arrives through on_message, outside any transaction;
//   - malformed input throws sabot::CdcError{ErrorKind::Protocol} whose message names the LSN
//     (wal_start) and what is wrong. A decoder never crashes and never silently skips.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "sabot/change_event.hpp"
#include "sabot/lsn.hpp"

namespace sabot::decode {

struct TxBegin {
  uint32_t xid = 0;
  Lsn commit_lsn;          // LSN of the commit record (wal2json v1: its end, see ChangeEvent)
  Timestamp commit_time{};
  // Set for the rows of a table snapshot, delivered as a transaction of their own (xid 0) at the
  // high watermark's LSN: the batches say so (ChangeBatch::from_snapshot).
  bool snapshot = false;
  std::string snapshot_schema;
  std::string snapshot_table;
};

struct TxCommit {
  uint32_t xid = 0;
  Lsn commit_lsn;          // LSN of the commit record
  Lsn end_lsn;             // end of the commit record: where a restarted stream resumes
  Timestamp commit_time{};
};

class DecodeHandler {
 public:
  virtual ~DecodeHandler() = default;
  virtual void on_begin(const TxBegin& begin) = 0;
  virtual void on_change(ChangeEvent&& event) = 0;
  virtual void on_commit(const TxCommit& commit) = 0;
  virtual void on_message(ChangeEvent&& message) = 0;  // non-transactional message
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // payload: the XLogData data bytes (valid only during the call). wal_start: the XLogData
  // dataStart (for a commit: the end LSN of the commit record).
  virtual void decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) = 0;
};

}  // namespace sabot::decode
