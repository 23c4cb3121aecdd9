#include "core/transaction_assembler.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/byte_arena.hpp"
#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace sabot::core {

// An UPDATE that kept its key carries no old key from the server (pgoutput sends one only when the
// key changed; wal2json always does). Filling it from the new row makes `old` mean the same with
// both plugins: every update and delete names the row it changed.
void fill_unchanged_old_key(ChangeEvent& event) {
  if (event.op != Op::Update || event.old || event.key_columns.empty()) return;
  std::vector<Column> old_key;
  old_key.reserve(event.key_columns.size());
  for (const std::string& key : event.key_columns) {
    const Column* column = event.column(key);
    if (!column || column->unchanged_toast) return;  // cannot tell: leave old unset
    old_key.push_back(*column);
  }
  event.old = std::move(old_key);
}

TransactionAssembler::TransactionAssembler(BatchLimits limits, TableFilter filter, AckTracker& acks)
    : limits_(limits), filter_(std::move(filter)), acks_(acks), ready_(limits.max_ready_bytes) {
  if (limits_.max_events == 0) limits_.max_events = 1;
}

void TransactionAssembler::protocol_error(const std::string& what) const {
  throw CdcError(ErrorKind::Protocol, "transaction sequence error: " + what);
}

void TransactionAssembler::on_begin(const decode::TxBegin& begin) {
  if (open_) {
    protocol_error(fmt::format("BEGIN of xid {} while xid {} is still open", begin.xid,
                               open_->begin.xid));
  }
  open_.emplace();
  open_->begin = begin;
  open_->ticket = acks_.open_transaction();
}

void TransactionAssembler::on_change(ChangeEvent&& event) {
  if (!open_) {
    protocol_error(fmt::format("{} on {}.{} outside a transaction", to_string(event.op),
                               event.schema, event.table));
  }
  OpenTx& tx = *open_;
  // A DDL capture message becomes a schema_change here, before the table filter applies to it.
  if (!schema_gate_.admit(event)) return;
  // Messages carry no table; everything else must pass the table filter.
  if (event.op != Op::Message && !filter_.matches(event.schema, event.table)) {
    ++filtered_events_;
    return;
  }

  fill_unchanged_old_key(event);
  event.transaction_id = tx.begin.xid;
  event.commit_lsn = tx.begin.commit_lsn;
  event.commit_time = tx.begin.commit_time;
  event.seq = tx.next_seq++;

  // The pending events are full: hand them out now that we know more follow.
  if (tx.pending.size() >= limits_.max_events || tx.pending_bytes >= limits_.max_bytes) {
    emit(std::move(tx.pending), /*last=*/false, Lsn());
    tx.pending.clear();
    tx.pending_bytes = 0;
  }
  if (tx.pending.empty()) {
    // As many as the previous batch held: a stream of one-row transactions then allocates room
    // for one event per batch, not for max_events (a ChangeEvent is ~300 bytes).
    tx.pending.reserve(std::min<size_t>(limits_.max_events, reserve_hint_));
    tx.pending_since = Clock::now();
  }
  tx.pending_bytes += base::approximate_event_bytes(event);
  tx.pending.push_back(std::move(event));
}

void TransactionAssembler::on_commit(const decode::TxCommit& commit) {
  if (!open_) protocol_error(fmt::format("COMMIT of xid {} without BEGIN", commit.xid));
  OpenTx& tx = *open_;
  if (commit.xid != 0 && tx.begin.xid != 0 && commit.xid != tx.begin.xid) {
    protocol_error(fmt::format("COMMIT of xid {} inside xid {}", commit.xid, tx.begin.xid));
  }
  if (!tx.pending.empty()) {
    emit(std::move(tx.pending), /*last=*/true, commit.end_lsn);
  }
  acks_.commit_transaction(tx.ticket, commit.end_lsn);
  open_.reset();
}

void TransactionAssembler::on_message(ChangeEvent&& message) {
  if (open_) protocol_error("a non-transactional message inside a transaction");
  if (message.message_prefix == kHeartbeatPrefix) {
    consume_position(message.lsn);  // our own heartbeat
    return;
  }
  // A non-transactional message is a one-event "transaction" of its own, positioned at its LSN.
  const Lsn position = message.lsn;
  decode::TxBegin begin;
  begin.commit_lsn = position;
  begin.commit_time = message.commit_time;
  on_begin(begin);
  message.message_transactional = false;
  on_change(std::move(message));
  decode::TxCommit commit;
  commit.commit_lsn = position;
  commit.end_lsn = position;
  commit.commit_time = begin.commit_time;
  on_commit(commit);
}

void TransactionAssembler::consume_position(Lsn lsn) {
  if (open_) protocol_error("a non-transactional message inside a transaction");
  acks_.commit_transaction(acks_.open_transaction(), lsn);
}

void TransactionAssembler::emit(std::vector<ChangeEvent>&& events, bool last, Lsn end_lsn) {
  OpenTx& tx = *open_;
  ChangeBatch batch;
  batch.transaction_id = tx.begin.xid;
  batch.commit_lsn = tx.begin.commit_lsn;
  batch.commit_time = tx.begin.commit_time;
  batch.end_lsn = end_lsn;
  batch.first_in_transaction = !tx.delivered_any;
  if (tx.begin.snapshot) {
    batch.from_snapshot = true;
    batch.snapshot_schema = tx.begin.snapshot_schema;
    batch.snapshot_table = tx.begin.snapshot_table;
  }
  batch.last_in_transaction = last;
  batch.batch_id = next_batch_id_++;
  reserve_hint_ = std::clamp<size_t>(events.size(), 1, 1024);
  batch.events = std::move(events);
  tx.delivered_any = true;
  acks_.add_batch(tx.ticket, batch.batch_id);
  ready_.push(std::move(batch), tx.pending_bytes);
}

ChangeBatch TransactionAssembler::take_ready() { return ready_.pop(); }

std::optional<TransactionAssembler::Clock::time_point> TransactionAssembler::pending_since() const {
  if (!open_ || open_->pending.size() < 2) return std::nullopt;
  return open_->pending_since;
}

bool TransactionAssembler::flush_if_older_than(std::chrono::milliseconds max_latency,
                                               Clock::time_point now) {
  auto since = pending_since();
  if (!since || now - *since < max_latency) return false;
  OpenTx& tx = *open_;
  ChangeEvent newest = std::move(tx.pending.back());
  tx.pending.pop_back();
  emit(std::move(tx.pending), /*last=*/false, Lsn());
  tx.pending.clear();
  tx.pending_bytes = base::approximate_event_bytes(newest);
  tx.pending.push_back(std::move(newest));
  tx.pending_since = now;
  return true;
}

void TransactionAssembler::reset() {
  open_.reset();
  ready_.clear();
  schema_gate_.clear();
}

void TransactionAssembler::abandon_open_transaction() {
  open_.reset();
  acks_.abandon_open_transactions();
}

}  // namespace sabot::core
