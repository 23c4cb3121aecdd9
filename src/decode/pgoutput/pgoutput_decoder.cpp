// Message flow the decoder accepts (PostgreSQL docs, "Logical Streaming Replication Protocol" and
// "Logical Replication Message Formats"):
//
//   stream      := { transaction | streamed | prepared | Message(non-transactional) }
//   transaction := Begin [Origin] { Relation | Type | change } Commit
//   streamed    := { Stream Start [Origin] { Relation | Type | change } Stream Stop }
//                  (Stream Commit | Stream Abort(xid, xid) | Stream Prepare)     interleaved with
//                  other traffic; Stream Abort(xid, subxid) may come between the blocks
//   prepared    := Begin Prepare [Origin] { Relation | Type | change } Prepare, later
//                  (Commit Prepared | Rollback Prepared)
//   change      := Insert | Update | Delete | Truncate | Message(transactional)
//
// Relation and Type messages are accepted anywhere; they update the relation cache. A Relation
// that changes a cached relation inside a block also yields a relation_changed schema_change
// (when report_relation_changes is set), held with the block's changes like any change.
#include "decode/pgoutput/pgoutput_decoder.hpp"

#include <fmt/format.h>

#include <optional>

#include "base/column_pool.hpp"
#include "base/pg_epoch.hpp"
#include "decode/schema_events.hpp"
#include "sabot/error.hpp"

namespace sabot::decode {

using namespace pgoutput;

namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw CdcError(ErrorKind::Protocol, what);
}

Timestamp to_timestamp(PgTimestamp pg, const char* field) {
  const std::optional<Timestamp> ts = base::timestamp_from_pg_micros(pg);
  if (!ts) invalid(fmt::format("{} {} is out of range", field, pg));
  return *ts;
}

std::string printable_type(uint8_t type) {
  if (type >= 0x20 && type < 0x7f) return fmt::format("'{}'", static_cast<char>(type));
  return fmt::format("0x{:02x}", type);
}

// Turns a tuple into columns of `rel`. key_only keeps just the replica identity columns (a 'K'
// old tuple: the other columns are sent as nulls).
std::vector<Column> make_columns(const CachedRelation& rel, const TupleData& tuple, bool key_only,
                                 const char* which) {
  if (tuple.columns.size() != rel.columns.size()) {
    invalid(fmt::format("{} tuple has {} columns but relation {}.{} (OID {}) has {}", which,
                        tuple.columns.size(), rel.schema, rel.table, rel.relation_oid,
                        rel.columns.size()));
  }
  std::vector<Column> columns =
      base::take_column_vector(key_only ? rel.key_columns.size() : rel.columns.size());
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const CachedColumn& def = rel.columns[i];
    if (key_only && !def.is_key) continue;
    const TupleColumn& value = tuple.columns[i];
    switch (value.kind) {
      case TupleKind::Null:
      case TupleKind::UnchangedToast:
        // Built in place (no Value assigned afterwards): this runs for every column of every row.
        columns.emplace_back(def.name, def.type_oid, def.type_name, Value::null(),
                             value.kind == TupleKind::UnchangedToast);
        break;
      case TupleKind::Text:
        // The value views the payload's copy in the decoder's arena.
        columns.emplace_back(def.name, def.type_oid, def.type_name, Value::view(value.value),
                             false);
        break;
      case TupleKind::Binary:
        invalid(
            fmt::format("{} tuple column \"{}\" is in binary format, which sabot-cdc never "
                        "requests (do not pass the binary option)",
                        which, def.name));
    }
  }
  return columns;
}

// Whether a Relation message describes the cached relation differently: what the rows of the
// table look like (names, types with modifier, key flags) or what it is called.
bool relation_changed(const CachedRelation& cached, const RelationMessage& m) {
  const std::string_view schema = m.namespace_name.empty() ? "pg_catalog" : m.namespace_name;
  if (cached.schema != schema || cached.table != m.relation_name ||
      cached.replica_identity != m.replica_identity || cached.columns.size() != m.columns.size()) {
    return true;
  }
  for (size_t i = 0; i < m.columns.size(); ++i) {
    const CachedColumn& a = cached.columns[i];
    const RelationColumn& b = m.columns[i];
    if (a.name != b.name || a.type_oid != b.type_oid || a.type_modifier != b.type_modifier ||
        a.is_key != b.is_key()) {
      return true;
    }
  }
  return false;
}

// The table as a Relation message shows it; it carries no nullability.
std::shared_ptr<TableSchema> relation_schema(const CachedRelation& rel) {
  auto schema = std::make_shared<TableSchema>();
  schema->schema = rel.schema;
  schema->table = rel.table;
  schema->relation_oid = rel.relation_oid;
  schema->replica_identity = std::string(decode::replica_identity_name(rel.replica_identity));
  schema->ddl = std::string(kRelationChangedDdl);
  schema->columns.reserve(rel.columns.size());
  for (const CachedColumn& c : rel.columns) {
    SchemaColumn& column = schema->columns.emplace_back();
    column.name = c.name;
    column.type_oid = c.type_oid;
    column.type_name = c.type_name;
    column.key = c.is_key;
  }
  return schema;
}

void check_old_key(const CachedRelation& rel, uint8_t old_kind) {
  if (old_kind == kOldKey && rel.key_columns.empty()) {
    invalid(
        fmt::format("'K' old tuple for relation {}.{} (OID {}) whose Relation message marks no "
                    "key column",
                    rel.schema, rel.table, rel.relation_oid));
  }
}

}  // namespace

PgoutputDecoder::PgoutputDecoder(Options options)
    : options_(std::move(options)),
      relations_(options_.type_names_with_typmod),
      store_("pgoutput streamed transactions", options_.spill_dir, options_.memory_limit_bytes) {
  if (options_.protocol_version < 1 || options_.protocol_version > 4) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("pgoutput protocol version {} is not supported (use 1 to 4)",
                               options_.protocol_version));
  }
}

void PgoutputDecoder::reset() {
  block_ = Block::None;
  block_xid_ = 0;
  begin_final_lsn_ = Lsn();
  prepare_gid_.clear();
  prepare_lsn_ = Lsn();
  prepared_.clear();
  store_.clear();
  relations_.clear();
  pending_relation_changes_.clear();
}

void PgoutputDecoder::decode(std::string_view payload, Lsn wal_start, DecodeHandler& out) {
  const uint8_t type = payload.empty() ? 0 : static_cast<uint8_t>(payload[0]);
  try {
    if (payload.empty()) invalid("empty message (no type byte)");
    if (type == msg::kInsert || type == msg::kUpdate || type == msg::kDelete) {
      // Row values become views into this copy, which the events share (storage.values).
      arena_.begin_record(payload.size());
      payload = arena_.copy(payload);
    }
    base::ByteReader in(payload.substr(1));
    dispatch(type, in, wal_start, out);
  } catch (const CdcError& e) {
    reset();
    if (e.kind() != ErrorKind::Protocol) throw;
    const char* name = message_name(type);
    throw CdcError(ErrorKind::Protocol,
                   fmt::format("pgoutput protocol error at LSN {} in {} message ({}): {}",
                               wal_start.to_string(), name != nullptr ? name : "unknown",
                               printable_type(type), e.what()),
                   "", wal_start);
  } catch (...) {
    reset();
    throw;
  }
}

void PgoutputDecoder::dispatch(uint8_t type, base::ByteReader& in, Lsn wal_start, DecodeHandler& out) {
  switch (type) {
    case msg::kBegin:
      return on_begin(in, out);
    case msg::kCommit:
      return on_commit(in, out);
    case msg::kOrigin:
      return on_origin(in);
    case msg::kRelation:
      return on_relation(in);
    case msg::kType:
      return on_type(in);
    case msg::kInsert:
      return on_insert(in, wal_start, out);
    case msg::kUpdate:
      return on_update(in, wal_start, out);
    case msg::kDelete:
      return on_delete(in, wal_start, out);
    case msg::kTruncate:
      return on_truncate(in, wal_start, out);
    case msg::kMessage:
      return on_logical_message(in, out);
    case msg::kStreamStart:
      return on_stream_start(in);
    case msg::kStreamStop:
      return on_stream_stop(in, out);
    case msg::kStreamCommit:
      return on_stream_commit(in, out);
    case msg::kStreamAbort:
      return on_stream_abort(in);
    case msg::kBeginPrepare:
      return on_begin_prepare(in);
    case msg::kPrepare:
      return on_prepare(in, out);
    case msg::kCommitPrepared:
      return on_commit_prepared(in, out);
    case msg::kRollbackPrepared:
      return on_rollback_prepared(in);
    case msg::kStreamPrepare:
      return on_stream_prepare(in);
    default:
      invalid("unknown message type");
  }
}

// ---- state checks -------------------------------------------------------------------------------

const char* PgoutputDecoder::block_name(Block block) {
  switch (block) {
    case Block::Tx:
      return "a transaction (Begin without Commit)";
    case Block::Prepare:
      return "a prepared transaction (Begin Prepare without Prepare)";
    case Block::Stream:
      return "a stream block (Stream Start without Stream Stop)";
    case Block::None:
      break;
  }
  return "no transaction";
}

void PgoutputDecoder::require_block(const char* what) const {
  if (block_ == Block::None) {
    invalid(
        fmt::format("{} outside a transaction (no Begin, Begin Prepare or Stream Start)", what));
  }
}

void PgoutputDecoder::require_no_block(const char* what) const {
  if (block_ != Block::None) {
    invalid(fmt::format("{} inside {} of xid {}", what, block_name(block_), block_xid_));
  }
}

void PgoutputDecoder::require_protocol(int min_version, const char* what) const {
  if (options_.protocol_version < min_version) {
    invalid(fmt::format("{} needs protocol version {} but the decoder was set up for version {}",
                        what, min_version, options_.protocol_version));
  }
}

const std::shared_ptr<const CachedRelation>& PgoutputDecoder::relation(
    uint32_t relation_oid) const {
  const std::shared_ptr<const CachedRelation>* rel = relations_.find_shared(relation_oid);
  if (rel == nullptr) {
    invalid(fmt::format("relation OID {} has had no Relation message", relation_oid));
  }
  return *rel;
}

ChangeEvent PgoutputDecoder::start_event(Op op, const std::shared_ptr<const CachedRelation>& rel,
                                         Lsn lsn) const {
  ChangeEvent event;
  event.op = op;
  event.schema = rel->schema;
  event.table = rel->table;
  event.key_columns = rel->key_columns;
  event.lsn = lsn;
  event.storage.names = rel;
  // Row messages were copied into the arena just before (decode()); a Truncate has no values.
  if (op != Op::Truncate) event.storage.values = arena_.owner();
  return event;
}

void PgoutputDecoder::emit_relation_changes(Lsn lsn, DecodeHandler& out) {
  std::vector<PendingRelationChange> pending;
  pending.swap(pending_relation_changes_);
  for (PendingRelationChange& p : pending) {
    p.schema->lsn = lsn;
    ChangeEvent event;
    event.lsn = lsn;
    decode::set_schema_change(event, std::move(p.schema));
    emit(p.xid, std::move(event), out);
  }
}

void PgoutputDecoder::emit(uint32_t xid, ChangeEvent&& event, DecodeHandler& out) {
  if (!pending_relation_changes_.empty() && event.op != Op::SchemaChange) {
    emit_relation_changes(event.lsn, out);
  }
  switch (block_) {
    case Block::Tx:
      out.on_change(std::move(event));
      return;
    case Block::Prepare:
      store_.append(block_xid_, block_xid_, std::move(event));
      return;
    case Block::Stream:
      store_.append(block_xid_, xid, std::move(event));
      return;
    case Block::None:
      invalid("change outside a transaction");
  }
}

void PgoutputDecoder::deliver_held(uint32_t xid, Lsn commit_lsn, Lsn end_lsn, Timestamp commit_time,
                                   DecodeHandler& out) {
  out.on_begin(TxBegin{xid, commit_lsn, commit_time});
  store_.replay(xid, [&out](ChangeEvent&& event) { out.on_change(std::move(event)); });
  out.on_commit(TxCommit{xid, commit_lsn, end_lsn, commit_time});
}

// ---- transactions -------------------------------------------------------------------------------

void PgoutputDecoder::on_begin(base::ByteReader& in, DecodeHandler& out) {
  const BeginMessage m = read_begin(in);
  require_no_block("Begin");
  const Timestamp commit_time = to_timestamp(m.commit_time, "commit timestamp");
  block_ = Block::Tx;
  block_xid_ = m.xid;
  begin_final_lsn_ = m.final_lsn;
  out.on_begin(TxBegin{m.xid, m.final_lsn, commit_time});
}

void PgoutputDecoder::on_commit(base::ByteReader& in, DecodeHandler& out) {
  const CommitMessage m = read_commit(in);
  if (block_ != Block::Tx) invalid(fmt::format("Commit without Begin (in {})", block_name(block_)));
  if (m.commit_lsn != begin_final_lsn_) {
    invalid(fmt::format("commit LSN {} differs from the final LSN {} announced by Begin",
                        m.commit_lsn.to_string(), begin_final_lsn_.to_string()));
  }
  const Timestamp commit_time = to_timestamp(m.commit_time, "commit timestamp");
  emit_relation_changes(m.commit_lsn, out);  // none left in practice: a change follows a Relation
  const uint32_t xid = block_xid_;
  block_ = Block::None;
  out.on_commit(TxCommit{xid, m.commit_lsn, m.end_lsn, commit_time});
}

void PgoutputDecoder::on_origin(base::ByteReader& in) {
  read_origin(in);  // validated; the event model has no place for the origin
  require_block("Origin");
}

// ---- schema -------------------------------------------------------------------------------------

void PgoutputDecoder::on_relation(base::ByteReader& in) {
  read_relation(in, read_context(), relation_msg_);
  const CachedRelation* cached = relations_.find(relation_msg_.relation_oid);
  const bool changed = cached != nullptr && relation_changed(*cached, relation_msg_);
  const CachedRelation& rel = *relations_.upsert(relation_msg_);
  if (!changed || !options_.report_relation_changes || block_ == Block::None) return;
  // Held until the change it precedes, whose LSN it takes (a Relation has none of its own).
  pending_relation_changes_.push_back({relation_msg_.xid, relation_schema(rel)});
}

void PgoutputDecoder::on_type(base::ByteReader& in) {
  relations_.add_type(read_type(in, read_context()));
}

// ---- changes ------------------------------------------------------------------------------------

void PgoutputDecoder::on_insert(base::ByteReader& in, Lsn wal_start, DecodeHandler& out) {
  read_insert(in, read_context(), insert_msg_);
  require_block("Insert");
  const std::shared_ptr<const CachedRelation>& shared_rel = relation(insert_msg_.relation_oid);
  const CachedRelation& rel = *shared_rel;
  ChangeEvent event = start_event(Op::Insert, shared_rel, wal_start);
  event.columns = make_columns(rel, insert_msg_.new_tuple, false, "new");
  emit(insert_msg_.xid, std::move(event), out);
}

void PgoutputDecoder::on_update(base::ByteReader& in, Lsn wal_start, DecodeHandler& out) {
  read_update(in, read_context(), update_msg_);
  require_block("Update");
  const std::shared_ptr<const CachedRelation>& shared_rel = relation(update_msg_.relation_oid);
  const CachedRelation& rel = *shared_rel;
  ChangeEvent event = start_event(Op::Update, shared_rel, wal_start);
  if (update_msg_.old_kind != 0) {
    check_old_key(rel, update_msg_.old_kind);
    event.old = make_columns(rel, update_msg_.old_tuple, update_msg_.old_kind == kOldKey, "old");
  }
  event.columns = make_columns(rel, update_msg_.new_tuple, false, "new");
  emit(update_msg_.xid, std::move(event), out);
}

void PgoutputDecoder::on_delete(base::ByteReader& in, Lsn wal_start, DecodeHandler& out) {
  read_delete(in, read_context(), delete_msg_);
  require_block("Delete");
  const std::shared_ptr<const CachedRelation>& shared_rel = relation(delete_msg_.relation_oid);
  const CachedRelation& rel = *shared_rel;
  check_old_key(rel, delete_msg_.old_kind);
  ChangeEvent event = start_event(Op::Delete, shared_rel, wal_start);
  event.old = make_columns(rel, delete_msg_.old_tuple, delete_msg_.old_kind == kOldKey, "old");
  emit(delete_msg_.xid, std::move(event), out);
}

void PgoutputDecoder::on_truncate(base::ByteReader& in, Lsn wal_start, DecodeHandler& out) {
  read_truncate(in, read_context(), truncate_msg_);
  require_block("Truncate");
  // Every relation must be known before the first event goes out.
  for (uint32_t oid : truncate_msg_.relation_oids) relation(oid);
  for (uint32_t oid : truncate_msg_.relation_oids) {
    ChangeEvent event = start_event(Op::Truncate, relation(oid), wal_start);
    event.truncate_cascade = (truncate_msg_.options & kTruncateCascade) != 0;
    event.truncate_restart_identity = (truncate_msg_.options & kTruncateRestartIdentity) != 0;
    emit(truncate_msg_.xid, std::move(event), out);
  }
}

void PgoutputDecoder::on_logical_message(base::ByteReader& in, DecodeHandler& out) {
  const LogicalMessage m = read_message(in, read_context());
  ChangeEvent event;
  event.op = Op::Message;
  event.lsn = m.lsn;
  event.message_prefix = std::string(m.prefix);
  event.message_content = std::string(m.content);
  event.message_transactional = m.transactional();
  if (m.transactional()) {
    require_block("transactional Message");
    emit(m.xid, std::move(event), out);
  } else {
    out.on_message(std::move(event));
  }
}

// ---- streamed transactions ----------------------------------------------------------------------

void PgoutputDecoder::on_stream_start(base::ByteReader& in) {
  require_protocol(2, "Stream Start");
  const StreamStartMessage m = read_stream_start(in);
  require_no_block("Stream Start");
  if (prepared_.count(m.xid) != 0) {
    invalid(fmt::format("xid {} is already prepared", m.xid));
  }
  if (m.first_segment && store_.contains(m.xid)) {
    invalid(fmt::format("first segment of xid {}, which is already streaming", m.xid));
  }
  if (!m.first_segment && !store_.contains(m.xid)) {
    invalid(fmt::format("xid {} continues a stream whose first segment was not received", m.xid));
  }
  store_.open(m.xid);
  block_ = Block::Stream;
  block_xid_ = m.xid;
}

void PgoutputDecoder::on_stream_stop(base::ByteReader& in, DecodeHandler& out) {
  require_protocol(2, "Stream Stop");
  read_stream_stop(in);
  if (block_ != Block::Stream) {
    invalid(fmt::format("Stream Stop without Stream Start (in {})", block_name(block_)));
  }
  emit_relation_changes(Lsn(), out);  // none left in practice: a change follows a Relation
  block_ = Block::None;
}

void PgoutputDecoder::on_stream_commit(base::ByteReader& in, DecodeHandler& out) {
  require_protocol(2, "Stream Commit");
  const StreamCommitMessage m = read_stream_commit(in);
  require_no_block("Stream Commit");
  if (!store_.contains(m.xid) || prepared_.count(m.xid) != 0) {
    invalid(fmt::format("xid {} has no streamed transaction to commit", m.xid));
  }
  deliver_held(m.xid, m.commit_lsn, m.end_lsn, to_timestamp(m.commit_time, "commit timestamp"),
               out);
}

void PgoutputDecoder::on_stream_abort(base::ByteReader& in) {
  require_protocol(2, "Stream Abort");
  const StreamAbortMessage m = read_stream_abort(in, read_context());
  require_no_block("Stream Abort");
  if (!store_.contains(m.xid) || prepared_.count(m.xid) != 0) {
    invalid(fmt::format("xid {} has no streamed transaction to abort", m.xid));
  }
  if (m.subxid == m.xid) {
    store_.abort_all(m.xid);
  } else {
    store_.abort_subxact(m.xid, m.subxid);
  }
}

// ---- two-phase commit ---------------------------------------------------------------------------

void PgoutputDecoder::on_begin_prepare(base::ByteReader& in) {
  require_protocol(3, "Begin Prepare");
  const BeginPrepareMessage m = read_begin_prepare(in);
  require_no_block("Begin Prepare");
  if (store_.contains(m.xid) || prepared_.count(m.xid) != 0) {
    invalid(fmt::format("xid {} is already held (streamed or prepared)", m.xid));
  }
  to_timestamp(m.prepare_time, "prepare timestamp");
  store_.open(m.xid);
  block_ = Block::Prepare;
  block_xid_ = m.xid;
  prepare_gid_ = std::string(m.gid);
  prepare_lsn_ = m.prepare_lsn;
}

void PgoutputDecoder::on_prepare(base::ByteReader& in, DecodeHandler& out) {
  require_protocol(3, "Prepare");
  const PrepareMessage m = read_prepare(in);
  if (block_ != Block::Prepare) {
    invalid(fmt::format("Prepare without Begin Prepare (in {})", block_name(block_)));
  }
  if (m.xid != block_xid_ || m.gid != prepare_gid_ || m.prepare_lsn != prepare_lsn_) {
    invalid(
        fmt::format("Prepare (xid {}, gid '{}', LSN {}) does not match Begin Prepare (xid {}, "
                    "gid '{}', LSN {})",
                    m.xid, m.gid, m.prepare_lsn.to_string(), block_xid_, prepare_gid_,
                    prepare_lsn_.to_string()));
  }
  to_timestamp(m.prepare_time, "prepare timestamp");
  emit_relation_changes(m.prepare_lsn, out);  // none left in practice
  prepared_[m.xid] = PreparedTx{std::move(prepare_gid_)};
  prepare_gid_.clear();
  block_ = Block::None;
}

void PgoutputDecoder::on_stream_prepare(base::ByteReader& in) {
  require_protocol(3, "Stream Prepare");
  const PrepareMessage m = read_stream_prepare(in);
  require_no_block("Stream Prepare");
  if (!store_.contains(m.xid) || prepared_.count(m.xid) != 0) {
    invalid(fmt::format("xid {} has no streamed transaction to prepare", m.xid));
  }
  to_timestamp(m.prepare_time, "prepare timestamp");
  prepared_[m.xid] = PreparedTx{std::string(m.gid)};
}

void PgoutputDecoder::on_commit_prepared(base::ByteReader& in, DecodeHandler& out) {
  require_protocol(3, "Commit Prepared");
  const CommitPreparedMessage m = read_commit_prepared(in);
  require_no_block("Commit Prepared");
  auto it = prepared_.find(m.xid);
  if (it == prepared_.end()) {
    invalid(
        fmt::format("xid {} (gid '{}') was not prepared in this session: its changes were "
                    "never received (a restart after the prepare was confirmed loses them; "
                    "use a slot without two_phase)",
                    m.xid, m.gid));
  }
  if (it->second.gid != m.gid) {
    invalid(fmt::format("gid '{}' differs from the prepared gid '{}' of xid {}", m.gid,
                        it->second.gid, m.xid));
  }
  const Timestamp commit_time = to_timestamp(m.commit_time, "commit timestamp");
  prepared_.erase(it);
  deliver_held(m.xid, m.commit_lsn, m.end_lsn, commit_time, out);
}

void PgoutputDecoder::on_rollback_prepared(base::ByteReader& in) {
  require_protocol(3, "Rollback Prepared");
  const RollbackPreparedMessage m = read_rollback_prepared(in);
  require_no_block("Rollback Prepared");
  auto it = prepared_.find(m.xid);
  // A rollback of a transaction prepared before this session (or before two_phase was enabled)
  // is legitimate and there is nothing to drop.
  if (it == prepared_.end()) return;
  if (it->second.gid != m.gid) {
    invalid(fmt::format("gid '{}' differs from the prepared gid '{}' of xid {}", m.gid,
                        it->second.gid, m.xid));
  }
  prepared_.erase(it);
  store_.abort_all(m.xid);
}

}  // namespace sabot::decode
