// One reader per pgoutput message. Each reader is handed a base::ByteReader positioned just after the
// message type byte, reads and validates every field in wire order, and confirms the message was
// fully consumed. Malformed input throws sabot::CdcError{ErrorKind::Protocol} naming the field;
// the caller adds the LSN and the message type.
//
// Readers of messages that carry tuples or lists fill a caller-owned struct so its vectors keep
// their capacity from one message to the next (no allocation per message once warm).
#pragma once

#include "base/byte_reader.hpp"
#include "decode/pgoutput/pgoutput_messages.hpp"

namespace sabot::decode::pgoutput {

// What the layout of a message depends on besides its own bytes.
struct ReadContext {
  int protocol_version = 1;
  // Inside a Stream Start ... Stream Stop block: row, relation, type and message messages then
  // start with the xid of the (sub)transaction that made them.
  bool in_stream = false;
};

BeginMessage read_begin(base::ByteReader& in);
CommitMessage read_commit(base::ByteReader& in);
OriginMessage read_origin(base::ByteReader& in);
void read_relation(base::ByteReader& in, const ReadContext& ctx, RelationMessage& out);
TypeMessage read_type(base::ByteReader& in, const ReadContext& ctx);
void read_insert(base::ByteReader& in, const ReadContext& ctx, InsertMessage& out);
void read_update(base::ByteReader& in, const ReadContext& ctx, UpdateMessage& out);
void read_delete(base::ByteReader& in, const ReadContext& ctx, DeleteMessage& out);
void read_truncate(base::ByteReader& in, const ReadContext& ctx, TruncateMessage& out);
LogicalMessage read_message(base::ByteReader& in, const ReadContext& ctx);
StreamStartMessage read_stream_start(base::ByteReader& in);
void read_stream_stop(base::ByteReader& in);
StreamCommitMessage read_stream_commit(base::ByteReader& in);
StreamAbortMessage read_stream_abort(base::ByteReader& in, const ReadContext& ctx);
BeginPrepareMessage read_begin_prepare(base::ByteReader& in);
PrepareMessage read_prepare(base::ByteReader& in);
CommitPreparedMessage read_commit_prepared(base::ByteReader& in);
RollbackPreparedMessage read_rollback_prepared(base::ByteReader& in);
PrepareMessage read_stream_prepare(base::ByteReader& in);

// TupleData, shared by Insert / Update / Delete.
void read_tuple(base::ByteReader& in, TupleData& out);

}  // namespace sabot::decode::pgoutput
