// PgoutputDecoder: turns the binary messages of PostgreSQL's built-in "pgoutput" output plugin
// into DecodeHandler calls (see decode_handler.hpp for the contract).
//
//   Begin .. Commit                      → on_begin, on_change..., on_commit
//   Insert / Update / Delete             → on_change (columns named and typed from the Relation)
//   Truncate of n tables                 → n × on_change(op Truncate)
//   transactional Message                → on_change(op Message); non-transactional → on_message
//   Relation of a cached OID whose table name, replica identity or columns (name, type, type
//       modifier, key flag) changed      → on_change(op SchemaChange, ddl "relation_changed"),
//       when report_relation_changes is set; it lands right before the first row in the new shape
//       (the change the Relation precedes) and takes that change's LSN: the walsender sends
//       Relation messages without a WAL position
//   Stream Start .. Stop ... Stream Commit (protocol >= 2, streaming on): changes are held per
//       top-level xid (with the subtransaction that made each), Stream Abort drops a
//       subtransaction or the whole transaction, Stream Commit delivers it as begin/changes/commit
//   Begin Prepare .. Prepare, Stream Prepare (protocol >= 3, two_phase on): the prepared
//       transaction is held; Commit Prepared delivers it, Rollback Prepared drops it.
//
// Caution with two_phase: a prepared transaction is held by this decoder until COMMIT PREPARED,
// while the server considers it sent. If the slot is confirmed past the prepare and the process
// restarts, the server sends only Commit Prepared, which this decoder then rejects (it cannot
// invent the lost changes). Leave two_phase off (the default) unless prepared transactions are
// committed promptly and acknowledged positions stay behind them.
//
// Errors: malformed, truncated or unknown messages, a change for a relation with no Relation
// message, a tuple whose column count differs from its relation's, messages out of order (Commit
// without Begin, ...) throw CdcError{Protocol} naming the LSN, the message type and the field.
// After any exception the decoder resets itself (open transaction, held transactions and relation
// cache are dropped), so it can decode a fresh stream from a new START_REPLICATION.
//
// Not thread-safe: one decoder per replication stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/byte_arena.hpp"
#include "base/byte_reader.hpp"
#include "decode/decode_handler.hpp"
#include "decode/pgoutput/pgoutput_messages.hpp"
#include "decode/pgoutput/pgoutput_reader.hpp"
#include "decode/pgoutput/relation_cache.hpp"
#include "spill/held_event_store.hpp"

namespace sabot::decode {

struct PgoutputOptions {
  // The proto_version given to the plugin (1: PG 10+, 2: streaming, PG 14+; 3: two-phase, PG 15+;
  // 4: parallel streaming, PG 16+). The layout of several messages depends on it.
  int protocol_version = 2;
  // Where transactions held in memory spill beyond memory_limit_bytes; created if missing, stale
  // spill files in it are removed. Must not be shared with another decoder. Empty: never spill.
  std::string spill_dir;
  size_t memory_limit_bytes = spill::HeldEventStore::kDefaultMemoryLimit;
  // Column::type_name with the type modifier ("character varying(50)", as wal2json's default
  // include-typmod prints it) or without ("character varying").
  bool type_names_with_typmod = true;
  // A Relation message that changes a cached relation yields a schema_change event (ddl
  // "relation_changed", columns after the change, nullability unknown). The first Relation of a
  // relation in a session yields none: there is nothing to compare it with. A Relation outside
  // any transaction block only updates the cache (pgoutput never sends one there).
  bool report_relation_changes = false;
};

class PgoutputDecoder : public Decoder {
 public:
  using Options = PgoutputOptions;

  PgoutputDecoder() : PgoutputDecoder(Options{}) {}
  // Throws CdcError{Config} for a protocol_version outside 1..4 or an unusable spill_dir.
  explicit PgoutputDecoder(Options options);

  void decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) override;

  // Forgets the open transaction, held transactions and the relation cache: call before decoding
  // a new START_REPLICATION (the server resends Relation messages and in-progress transactions).
  void reset();

  const Options& options() const { return options_; }
  const pgoutput::RelationCache& relations() const { return relations_; }
  const spill::HeldEventStore& held_transactions() const { return store_; }
  bool in_transaction() const { return block_ != Block::None; }

 private:
  // Which kind of message block we are in; changes go to the handler (Tx) or to the store.
  enum class Block : uint8_t { None, Tx, Prepare, Stream };

  struct PreparedTx {
    std::string gid;
  };

  static const char* block_name(Block block);
  void dispatch(uint8_t type, base::ByteReader& in, Lsn wal_start, DecodeHandler& out);

  void on_begin(base::ByteReader& in, DecodeHandler& out);
  void on_commit(base::ByteReader& in, DecodeHandler& out);
  void on_origin(base::ByteReader& in);
  void on_relation(base::ByteReader& in);
  void on_type(base::ByteReader& in);
  void on_insert(base::ByteReader& in, Lsn wal_start, DecodeHandler& out);
  void on_update(base::ByteReader& in, Lsn wal_start, DecodeHandler& out);
  void on_delete(base::ByteReader& in, Lsn wal_start, DecodeHandler& out);
  void on_truncate(base::ByteReader& in, Lsn wal_start, DecodeHandler& out);
  void on_logical_message(base::ByteReader& in, DecodeHandler& out);
  void on_stream_start(base::ByteReader& in);
  void on_stream_stop(base::ByteReader& in, DecodeHandler& out);
  void on_stream_commit(base::ByteReader& in, DecodeHandler& out);
  void on_stream_abort(base::ByteReader& in);
  void on_begin_prepare(base::ByteReader& in);
  void on_prepare(base::ByteReader& in, DecodeHandler& out);
  void on_commit_prepared(base::ByteReader& in, DecodeHandler& out);
  void on_rollback_prepared(base::ByteReader& in);
  void on_stream_prepare(base::ByteReader& in);

  // Hands a change to the handler or holds it, by block; xid is the message's own (streams).
  // Pending relation_changed events go first, with the change's LSN.
  void emit(uint32_t xid, ChangeEvent&& event, DecodeHandler& out);
  // Emits the pending relation_changed events at `lsn` (the next change's, or the block end's).
  void emit_relation_changes(Lsn lsn, DecodeHandler& out);
  // Delivers a held transaction as on_begin / on_change... / on_commit.
  void deliver_held(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, Timestamp commit_time,
                    DecodeHandler& out);
  void require_block(const char* what) const;
  void require_no_block(const char* what) const;
  void require_protocol(int min_version, const char* what) const;
  const std::shared_ptr<const pgoutput::CachedRelation>& relation(uint32_t relation_oid) const;
  ChangeEvent start_event(Op op, const std::shared_ptr<const pgoutput::CachedRelation>& rel,
                          Lsn lsn) const;
  pgoutput::ReadContext read_context() const {
    return {options_.protocol_version, block_ == Block::Stream};
  }

  Options options_;
  pgoutput::RelationCache relations_;
  base::ByteArena arena_;  // copies of row messages; their events' values point into them
  spill::HeldEventStore store_;

  Block block_ = Block::None;
  uint32_t block_xid_ = 0;   // xid of the open transaction / prepare / stream
  Lsn begin_final_lsn_;      // Block::Tx: Begin's final LSN, checked against Commit's
  std::string prepare_gid_;  // Block::Prepare: Begin Prepare's gid, checked against Prepare's
  Lsn prepare_lsn_;          // Block::Prepare: Begin Prepare's prepare LSN
  std::unordered_map<uint32_t, PreparedTx> prepared_;  // held prepared transactions by xid

  // relation_changed events waiting for the change that follows their Relation message.
  struct PendingRelationChange {
    uint32_t xid = 0;
    std::shared_ptr<TableSchema> schema;
  };
  std::vector<PendingRelationChange> pending_relation_changes_;

  // Reused message structs: their vectors keep capacity between messages.
  pgoutput::RelationMessage relation_msg_;
  pgoutput::InsertMessage insert_msg_;
  pgoutput::UpdateMessage update_msg_;
  pgoutput::DeleteMessage delete_msg_;
  pgoutput::TruncateMessage truncate_msg_;
};

}  // namespace sabot::decode
