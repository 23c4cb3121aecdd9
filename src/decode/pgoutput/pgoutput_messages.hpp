// The messages of PostgreSQL's logical replication protocol ("pgoutput"), one plain struct each.
// Layouts: PostgreSQL docs, "Logical Replication Message Formats" (protocol-logicalrep-message-
// formats); the grammar is written out at the top of pgoutput_reader.cpp.
//
// Ownership: every string_view points into the payload the message was read from and is valid
// only while that payload is (during one Decoder::decode call). Timestamps are kept as sent:
// microseconds since the PostgreSQL epoch, 2000-01-01 00:00:00 UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sabot/lsn.hpp"

namespace sabot::decode::pgoutput {

// Message types are their wire bytes.
namespace msg {
inline constexpr uint8_t kBegin = 'B';
inline constexpr uint8_t kCommit = 'C';
inline constexpr uint8_t kOrigin = 'O';
inline constexpr uint8_t kRelation = 'R';
inline constexpr uint8_t kType = 'Y';
inline constexpr uint8_t kInsert = 'I';
inline constexpr uint8_t kUpdate = 'U';
inline constexpr uint8_t kDelete = 'D';
inline constexpr uint8_t kTruncate = 'T';
inline constexpr uint8_t kMessage = 'M';
inline constexpr uint8_t kStreamStart = 'S';
inline constexpr uint8_t kStreamStop = 'E';
inline constexpr uint8_t kStreamCommit = 'c';
inline constexpr uint8_t kStreamAbort = 'A';
inline constexpr uint8_t kBeginPrepare = 'b';
inline constexpr uint8_t kPrepare = 'P';
inline constexpr uint8_t kCommitPrepared = 'K';
inline constexpr uint8_t kRollbackPrepared = 'r';
inline constexpr uint8_t kStreamPrepare = 'p';
}  // namespace msg

// "Insert", "Stream Commit", ... for a known type byte; nullptr otherwise.
const char* message_name(uint8_t type);

// Microseconds since 2000-01-01 00:00:00 UTC, as PostgreSQL's TimestampTz.
using PgTimestamp = int64_t;

// ---- TupleData ----------------------------------------------------------------------------------

// Column kinds are their wire bytes.
enum class TupleKind : uint8_t {
  Null = 'n',
  UnchangedToast = 'u',  // an unchanged TOASTed value the server did not send
  Text = 't',            // text output form
  Binary = 'b',          // binary send form (only with the "binary" option, which we never ask)
};

struct TupleColumn {
  TupleKind kind = TupleKind::Null;
  std::string_view value;  // Text / Binary only
};

struct TupleData {
  std::vector<TupleColumn> columns;
};

// Old-tuple markers in Update / Delete.
inline constexpr uint8_t kOldKey = 'K';   // replica identity key columns (others are null)
inline constexpr uint8_t kOldFull = 'O';  // the whole old row (REPLICA IDENTITY FULL)
inline constexpr uint8_t kNewTuple = 'N';

// ---- Transaction control ------------------------------------------------------------------------

struct BeginMessage {
  Lsn final_lsn;  // LSN of the commit record
  PgTimestamp commit_time = 0;
  uint32_t xid = 0;
};

struct CommitMessage {
  uint8_t flags = 0;  // unused, must be 0
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time = 0;
};

struct OriginMessage {
  Lsn origin_commit_lsn;
  std::string_view origin_name;
};

// ---- Schema -------------------------------------------------------------------------------------

inline constexpr uint8_t kRelationColumnIsKey = 1;

struct RelationColumn {
  uint8_t flags = 0;  // kRelationColumnIsKey
  std::string_view name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool is_key() const { return (flags & kRelationColumnIsKey) != 0; }
};

struct RelationMessage {
  uint32_t xid = 0;  // streamed transactions only (protocol >= 2), else 0
  uint32_t relation_oid = 0;
  std::string_view namespace_name;  // empty means pg_catalog
  std::string_view relation_name;
  uint8_t replica_identity = 'd';  // pg_class.relreplident: 'd', 'n', 'f' or 'i'
  std::vector<RelationColumn> columns;
};

struct TypeMessage {
  uint32_t xid = 0;
  uint32_t type_oid = 0;
  std::string_view namespace_name;  // empty means pg_catalog
  std::string_view type_name;
};

// ---- Row changes --------------------------------------------------------------------------------

struct InsertMessage {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  TupleData new_tuple;
};

struct UpdateMessage {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  uint8_t old_kind = 0;  // 0 (no old tuple), kOldKey or kOldFull
  TupleData old_tuple;
  TupleData new_tuple;
};

struct DeleteMessage {
  uint32_t xid = 0;
  uint32_t relation_oid = 0;
  uint8_t old_kind = kOldKey;  // kOldKey or kOldFull
  TupleData old_tuple;
};

inline constexpr uint8_t kTruncateCascade = 1;
inline constexpr uint8_t kTruncateRestartIdentity = 2;

struct TruncateMessage {
  uint32_t xid = 0;
  uint8_t options = 0;  // kTruncateCascade | kTruncateRestartIdentity
  std::vector<uint32_t> relation_oids;
};

inline constexpr uint8_t kMessageTransactional = 1;

struct LogicalMessage {
  uint32_t xid = 0;
  uint8_t flags = 0;  // kMessageTransactional or 0
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;
  bool transactional() const { return (flags & kMessageTransactional) != 0; }
};

// ---- Streaming of in-progress transactions (protocol >= 2) --------------------------------------

struct StreamStartMessage {
  uint32_t xid = 0;  // top-level transaction
  bool first_segment = false;
};

struct StreamCommitMessage {
  uint32_t xid = 0;
  uint8_t flags = 0;  // unused, must be 0
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time = 0;
};

struct StreamAbortMessage {
  uint32_t xid = 0;     // top-level transaction
  uint32_t subxid = 0;  // == xid when the whole transaction aborted
  // Protocol >= 4 with streaming = parallel only.
  std::optional<Lsn> abort_lsn;
  std::optional<PgTimestamp> abort_time;
};

// ---- Two-phase commit (protocol >= 3) -----------------------------------------------------------

struct BeginPrepareMessage {
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

// Prepare 'P' and Stream Prepare 'p' share this layout.
struct PrepareMessage {
  uint8_t flags = 0;  // unused, must be 0
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

struct CommitPreparedMessage {
  uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

struct RollbackPreparedMessage {
  uint8_t flags = 0;
  Lsn prepare_end_lsn;
  Lsn rollback_end_lsn;
  PgTimestamp prepare_time = 0;
  PgTimestamp rollback_time = 0;
  uint32_t xid = 0;
  std::string_view gid;
};

}  // namespace sabot::decode::pgoutput
