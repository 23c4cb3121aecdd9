// Readers of the pgoutput logical replication messages.
//
// Grammar (PostgreSQL docs, "Logical Replication Message Formats"; IntN big-endian, String
// NUL-terminated, [xid] = Int32 xid present only inside a Stream Start..Stream Stop block, which
// needs protocol >= 2):
//
//   Begin            'B' Int64 final_lsn  Int64 commit_time  Int32 xid
//   Commit           'C' Int8 flags(0)  Int64 commit_lsn  Int64 end_lsn  Int64 commit_time
//   Origin           'O' Int64 origin_commit_lsn  String name
//   Relation         'R' [xid] Int32 oid  String namespace  String name  Int8 replica_identity
//                        Int16 ncols  { Int8 flags(1 = key)  String name  Int32 type_oid
//                        Int32 type_modifier } * ncols
//   Type             'Y' [xid] Int32 oid  String namespace  String name
//   Insert           'I' [xid] Int32 oid  'N' TupleData
//   Update           'U' [xid] Int32 oid  [ ('K' | 'O') TupleData ]  'N' TupleData
//   Delete           'D' [xid] Int32 oid  ('K' | 'O') TupleData
//   Truncate         'T' [xid] Int32 nrels  Int8 options(1 cascade, 2 restart identity)
//                        Int32 oid * nrels
//   Message          'M' [xid] Int8 flags(1 transactional)  Int64 lsn  String prefix
//                        Int32 length  Byte * length
//   Stream Start     'S' Int32 xid  Int8 first_segment(0 | 1)                        (v2+)
//   Stream Stop      'E'                                                              (v2+)
//   Stream Commit    'c' Int32 xid  Int8 flags(0)  Int64 commit_lsn  Int64 end_lsn
//                        Int64 commit_time                                            (v2+)
//   Stream Abort     'A' Int32 xid  Int32 subxid  [ Int64 abort_lsn  Int64 abort_time ] (v2+;
//                        the bracketed part only with v4 and streaming = parallel)
//   Begin Prepare    'b' Int64 prepare_lsn  Int64 end_lsn  Int64 prepare_time  Int32 xid
//                        String gid                                                   (v3+)
//   Prepare          'P' Int8 flags(0)  Int64 prepare_lsn  Int64 end_lsn  Int64 prepare_time
//                        Int32 xid  String gid                                        (v3+)
//   Commit Prepared  'K' Int8 flags(0)  Int64 commit_lsn  Int64 end_lsn  Int64 commit_time
//                        Int32 xid  String gid                                        (v3+)
//   Rollback Prep.   'r' Int8 flags(0)  Int64 prepare_end_lsn  Int64 rollback_end_lsn
//                        Int64 prepare_time  Int64 rollback_time  Int32 xid  String gid (v3+)
//   Stream Prepare   'p' same layout as Prepare                                       (v3+)
//
//   TupleData        Int16 ncols  { 'n' | 'u' | 't' Int32 len Byte*len | 'b' Int32 len Byte*len }
//
// The type byte is consumed by the dispatcher; every reader here starts at the first field and
// ends with expect_end(), so a message longer than its grammar is an error too.
#include "decode/pgoutput/pgoutput_reader.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::decode::pgoutput {

namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw CdcError(ErrorKind::Protocol, what);
}

// The xid of the (sub)transaction, present only inside a stream block.
uint32_t read_stream_xid(base::ByteReader& in, const ReadContext& ctx) {
  if (!ctx.in_stream) return 0;
  const uint32_t xid = in.read_u32("streamed transaction xid");
  if (xid == 0) invalid("streamed transaction xid is 0 (InvalidTransactionId)");
  return xid;
}

uint32_t read_xid(base::ByteReader& in, const char* field) {
  const uint32_t xid = in.read_u32(field);
  if (xid == 0) invalid(fmt::format("{} is 0 (InvalidTransactionId)", field));
  return xid;
}

uint32_t read_oid(base::ByteReader& in, const char* field) {
  const uint32_t oid = in.read_u32(field);
  if (oid == 0) invalid(fmt::format("{} is 0 (InvalidOid)", field));
  return oid;
}

Lsn read_lsn(base::ByteReader& in, const char* field) {
  return Lsn(in.read_u64(field));
}

uint8_t read_zero_flags(base::ByteReader& in, const char* field) {
  const uint8_t flags = in.read_u8(field);
  if (flags != 0) invalid(fmt::format("{} is {}, expected 0 (no flags are defined)", field, flags));
  return flags;
}

std::string_view read_nonempty_cstring(base::ByteReader& in, const char* field) {
  std::string_view s = in.read_cstring(field);
  if (s.empty()) invalid(fmt::format("{} is empty", field));
  return s;
}

void read_tuple_marker(base::ByteReader& in, uint8_t expected, const char* field) {
  const uint8_t marker = in.read_u8(field);
  if (marker != expected) {
    invalid(
        fmt::format("{} is 0x{:02x}, expected '{}'", field, marker, static_cast<char>(expected)));
  }
}

}  // namespace

const char* message_name(uint8_t type) {
  switch (type) {
    case msg::kBegin:
      return "Begin";
    case msg::kCommit:
      return "Commit";
    case msg::kOrigin:
      return "Origin";
    case msg::kRelation:
      return "Relation";
    case msg::kType:
      return "Type";
    case msg::kInsert:
      return "Insert";
    case msg::kUpdate:
      return "Update";
    case msg::kDelete:
      return "Delete";
    case msg::kTruncate:
      return "Truncate";
    case msg::kMessage:
      return "Message";
    case msg::kStreamStart:
      return "Stream Start";
    case msg::kStreamStop:
      return "Stream Stop";
    case msg::kStreamCommit:
      return "Stream Commit";
    case msg::kStreamAbort:
      return "Stream Abort";
    case msg::kBeginPrepare:
      return "Begin Prepare";
    case msg::kPrepare:
      return "Prepare";
    case msg::kCommitPrepared:
      return "Commit Prepared";
    case msg::kRollbackPrepared:
      return "Rollback Prepared";
    case msg::kStreamPrepare:
      return "Stream Prepare";
    default:
      return nullptr;
  }
}

void read_tuple(base::ByteReader& in, TupleData& out) {
  const uint16_t ncols = in.read_u16("tuple column count");
  // Every column takes at least its kind byte: reject absurd counts before reserving.
  if (ncols > in.remaining()) {
    invalid(fmt::format("tuple column count {} exceeds the {} bytes left", ncols, in.remaining()));
  }
  // resize() on the reused vector: no allocation once warm, no capacity check per column.
  out.columns.resize(ncols);
  for (uint16_t i = 0; i < ncols; ++i) {
    TupleColumn& column = out.columns[i];
    const uint8_t kind = in.read_u8("tuple column kind");
    switch (kind) {
      case static_cast<uint8_t>(TupleKind::Null):
      case static_cast<uint8_t>(TupleKind::UnchangedToast):
        column = TupleColumn{static_cast<TupleKind>(kind), {}};
        break;
      case static_cast<uint8_t>(TupleKind::Text):
      case static_cast<uint8_t>(TupleKind::Binary): {
        const int32_t len = in.read_i32("tuple column value length");
        if (len < 0) invalid(fmt::format("tuple column {} value length {} is negative", i, len));
        column = TupleColumn{static_cast<TupleKind>(kind),
                             in.read_bytes(static_cast<size_t>(len), "tuple column value")};
        break;
      }
      default:
        invalid(
            fmt::format("tuple column {} has unknown kind 0x{:02x} (expected 'n', 'u', 't' "
                        "or 'b')",
                        i, kind));
    }
  }
}

BeginMessage read_begin(base::ByteReader& in) {
  BeginMessage m;
  m.final_lsn = read_lsn(in, "final LSN");
  m.commit_time = in.read_i64("commit timestamp");
  m.xid = read_xid(in, "xid");
  in.expect_end("Begin");
  return m;
}

CommitMessage read_commit(base::ByteReader& in) {
  CommitMessage m;
  m.flags = read_zero_flags(in, "commit flags");
  m.commit_lsn = read_lsn(in, "commit LSN");
  m.end_lsn = read_lsn(in, "end LSN");
  m.commit_time = in.read_i64("commit timestamp");
  in.expect_end("Commit");
  return m;
}

OriginMessage read_origin(base::ByteReader& in) {
  OriginMessage m;
  m.origin_commit_lsn = read_lsn(in, "origin commit LSN");
  m.origin_name = read_nonempty_cstring(in, "origin name");
  in.expect_end("Origin");
  return m;
}

void read_relation(base::ByteReader& in, const ReadContext& ctx, RelationMessage& out) {
  out.xid = read_stream_xid(in, ctx);
  out.relation_oid = read_oid(in, "relation OID");
  out.namespace_name = in.read_cstring("relation namespace");
  out.relation_name = read_nonempty_cstring(in, "relation name");
  out.replica_identity = in.read_u8("replica identity");
  switch (out.replica_identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i':
      break;
    default:
      invalid(fmt::format("replica identity 0x{:02x} is not 'd', 'n', 'f' or 'i'",
                          out.replica_identity));
  }
  const uint16_t ncols = in.read_u16("relation column count");
  // A column takes at least 10 bytes (flags, empty name's NUL, type OID, type modifier).
  if (size_t{ncols} * 10 > in.remaining()) {
    invalid(
        fmt::format("relation column count {} exceeds the {} bytes left", ncols, in.remaining()));
  }
  out.columns.clear();
  out.columns.reserve(ncols);
  for (uint16_t i = 0; i < ncols; ++i) {
    RelationColumn column;
    column.flags = in.read_u8("relation column flags");
    if ((column.flags & ~kRelationColumnIsKey) != 0) {
      invalid(fmt::format("relation column {} flags 0x{:02x} has undefined bits", i, column.flags));
    }
    column.name = read_nonempty_cstring(in, "relation column name");
    column.type_oid = read_oid(in, "relation column type OID");
    column.type_modifier = in.read_i32("relation column type modifier");
    out.columns.push_back(column);
  }
  in.expect_end("Relation");
}

TypeMessage read_type(base::ByteReader& in, const ReadContext& ctx) {
  TypeMessage m;
  m.xid = read_stream_xid(in, ctx);
  m.type_oid = read_oid(in, "type OID");
  m.namespace_name = in.read_cstring("type namespace");
  m.type_name = read_nonempty_cstring(in, "type name");
  in.expect_end("Type");
  return m;
}

void read_insert(base::ByteReader& in, const ReadContext& ctx, InsertMessage& out) {
  out.xid = read_stream_xid(in, ctx);
  out.relation_oid = read_oid(in, "relation OID");
  read_tuple_marker(in, kNewTuple, "new tuple marker");
  read_tuple(in, out.new_tuple);
  in.expect_end("Insert");
}

void read_update(base::ByteReader& in, const ReadContext& ctx, UpdateMessage& out) {
  out.xid = read_stream_xid(in, ctx);
  out.relation_oid = read_oid(in, "relation OID");
  uint8_t marker = in.read_u8("old/new tuple marker");
  out.old_kind = 0;
  out.old_tuple.columns.clear();
  if (marker == kOldKey || marker == kOldFull) {
    out.old_kind = marker;
    read_tuple(in, out.old_tuple);
    marker = in.read_u8("new tuple marker");
  }
  if (marker != kNewTuple) {
    invalid(fmt::format("tuple marker 0x{:02x} is not 'K', 'O' or 'N'", marker));
  }
  read_tuple(in, out.new_tuple);
  in.expect_end("Update");
}

void read_delete(base::ByteReader& in, const ReadContext& ctx, DeleteMessage& out) {
  out.xid = read_stream_xid(in, ctx);
  out.relation_oid = read_oid(in, "relation OID");
  const uint8_t marker = in.read_u8("old tuple marker");
  if (marker != kOldKey && marker != kOldFull) {
    invalid(fmt::format("old tuple marker 0x{:02x} is not 'K' or 'O'", marker));
  }
  out.old_kind = marker;
  read_tuple(in, out.old_tuple);
  in.expect_end("Delete");
}

void read_truncate(base::ByteReader& in, const ReadContext& ctx, TruncateMessage& out) {
  out.xid = read_stream_xid(in, ctx);
  const uint32_t nrels = in.read_u32("relation count");
  out.options = in.read_u8("truncate options");
  if ((out.options & ~(kTruncateCascade | kTruncateRestartIdentity)) != 0) {
    invalid(fmt::format("truncate options 0x{:02x} has undefined bits", out.options));
  }
  if (nrels == 0) invalid("relation count is 0");
  if (nrels > in.remaining() / 4) {
    invalid(fmt::format("relation count {} exceeds the {} bytes left", nrels, in.remaining()));
  }
  out.relation_oids.clear();
  out.relation_oids.reserve(nrels);
  for (uint32_t i = 0; i < nrels; ++i) out.relation_oids.push_back(read_oid(in, "relation OID"));
  in.expect_end("Truncate");
}

LogicalMessage read_message(base::ByteReader& in, const ReadContext& ctx) {
  LogicalMessage m;
  m.xid = read_stream_xid(in, ctx);
  m.flags = in.read_u8("message flags");
  if ((m.flags & ~kMessageTransactional) != 0) {
    invalid(fmt::format("message flags 0x{:02x} has undefined bits", m.flags));
  }
  m.lsn = read_lsn(in, "message LSN");
  m.prefix = in.read_cstring("message prefix");
  const int32_t len = in.read_i32("message content length");
  if (len < 0) invalid(fmt::format("message content length {} is negative", len));
  m.content = in.read_bytes(static_cast<size_t>(len), "message content");
  in.expect_end("Message");
  return m;
}

StreamStartMessage read_stream_start(base::ByteReader& in) {
  StreamStartMessage m;
  m.xid = read_xid(in, "xid");
  const uint8_t first = in.read_u8("first segment flag");
  if (first > 1) invalid(fmt::format("first segment flag is {}, expected 0 or 1", first));
  m.first_segment = first == 1;
  in.expect_end("Stream Start");
  return m;
}

void read_stream_stop(base::ByteReader& in) {
  in.expect_end("Stream Stop");
}

StreamCommitMessage read_stream_commit(base::ByteReader& in) {
  StreamCommitMessage m;
  m.xid = read_xid(in, "xid");
  m.flags = read_zero_flags(in, "commit flags");
  m.commit_lsn = read_lsn(in, "commit LSN");
  m.end_lsn = read_lsn(in, "end LSN");
  m.commit_time = in.read_i64("commit timestamp");
  in.expect_end("Stream Commit");
  return m;
}

StreamAbortMessage read_stream_abort(base::ByteReader& in, const ReadContext& ctx) {
  StreamAbortMessage m;
  m.xid = read_xid(in, "xid");
  m.subxid = read_xid(in, "subtransaction xid");
  // Protocol 4 adds the abort LSN and time when streaming = parallel was requested; the message
  // itself is the only place that says which, so read them when present.
  if (ctx.protocol_version >= 4 && !in.at_end()) {
    m.abort_lsn = read_lsn(in, "abort LSN");
    m.abort_time = in.read_i64("abort timestamp");
  }
  in.expect_end("Stream Abort");
  return m;
}

BeginPrepareMessage read_begin_prepare(base::ByteReader& in) {
  BeginPrepareMessage m;
  m.prepare_lsn = read_lsn(in, "prepare LSN");
  m.end_lsn = read_lsn(in, "prepare end LSN");
  m.prepare_time = in.read_i64("prepare timestamp");
  m.xid = read_xid(in, "xid");
  m.gid = in.read_cstring("gid");
  in.expect_end("Begin Prepare");
  return m;
}

namespace {
PrepareMessage read_prepare_layout(base::ByteReader& in, const char* what) {
  PrepareMessage m;
  m.flags = read_zero_flags(in, "prepare flags");
  m.prepare_lsn = read_lsn(in, "prepare LSN");
  m.end_lsn = read_lsn(in, "prepare end LSN");
  m.prepare_time = in.read_i64("prepare timestamp");
  m.xid = read_xid(in, "xid");
  m.gid = in.read_cstring("gid");
  in.expect_end(what);
  return m;
}
}  // namespace

PrepareMessage read_prepare(base::ByteReader& in) {
  return read_prepare_layout(in, "Prepare");
}

PrepareMessage read_stream_prepare(base::ByteReader& in) {
  return read_prepare_layout(in, "Stream Prepare");
}

CommitPreparedMessage read_commit_prepared(base::ByteReader& in) {
  CommitPreparedMessage m;
  m.flags = read_zero_flags(in, "commit prepared flags");
  m.commit_lsn = read_lsn(in, "commit LSN");
  m.end_lsn = read_lsn(in, "end LSN");
  m.commit_time = in.read_i64("commit timestamp");
  m.xid = read_xid(in, "xid");
  m.gid = in.read_cstring("gid");
  in.expect_end("Commit Prepared");
  return m;
}

RollbackPreparedMessage read_rollback_prepared(base::ByteReader& in) {
  RollbackPreparedMessage m;
  m.flags = read_zero_flags(in, "rollback prepared flags");
  m.prepare_end_lsn = read_lsn(in, "prepare end LSN");
  m.rollback_end_lsn = read_lsn(in, "rollback end LSN");
  m.prepare_time = in.read_i64("prepare timestamp");
  m.rollback_time = in.read_i64("rollback timestamp");
  m.xid = read_xid(in, "xid");
  m.gid = in.read_cstring("gid");
  in.expect_end("Rollback Prepared");
  return m;
}

}  // namespace sabot::decode::pgoutput
