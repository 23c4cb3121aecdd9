#include "core/transaction_assembler.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "base/byte_arena.hpp"
#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace sabot::core {

namespace {
// Overflowed events are stored (and loaded back) in chunks of about this many bytes: few spill
// files open at once (one per chunk), and one chunk in memory while the consumer catches up.
constexpr size_t kOverflowChunkBytes = 32 * 1024 * 1024;
// The overflow store spills as soon as it holds this much: every chunk it holds keeps the
// capacity of its in-memory vector after spilling, so that vector must stay small.
constexpr size_t kOverflowMemoryBytes = 256 * 1024;
}  // namespace

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
    : limits_(limits), filter_(std::move(filter)), acks_(acks) {
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
  if (event.op != Op::Message && !filter_.matches(event.schema, event.table)) return;

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
    // Our own heartbeat: nothing for the consumer, but a position the slot may confirm.
    acks_.commit_transaction(acks_.open_transaction(), message.lsn);
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

void TransactionAssembler::emit(std::vector<ChangeEvent>&& events, bool last, Lsn end_lsn) {
  OpenTx& tx = *open_;
  ChangeBatch batch;
  batch.transaction_id = tx.begin.xid;
  batch.commit_lsn = tx.begin.commit_lsn;
  batch.commit_time = tx.begin.commit_time;
  batch.end_lsn = end_lsn;
  batch.first_in_transaction = !tx.delivered_any;
  batch.last_in_transaction = last;
  batch.batch_id = next_batch_id_++;
  reserve_hint_ = std::clamp<size_t>(events.size(), 1, 1024);
  batch.events = std::move(events);
  tx.delivered_any = true;
  acks_.add_batch(tx.ticket, batch.batch_id);
  enqueue(std::move(batch), tx.pending_bytes);
}

std::vector<TransactionAssembler::BufferUse> TransactionAssembler::chunks_of(
    const ChangeBatch& batch, size_t& unpinned_bytes) const {
  std::vector<BufferUse> chunks;
  const void* previous = nullptr;
  for (const ChangeEvent& event : batch.events) {
    const void* owner = event.storage.values.get();
    if (owner == nullptr || owner == previous) continue;  // events come in buffer order
    previous = owner;
    const size_t bytes = base::ByteArena::chunk_bytes(event.storage.values);
    if (bytes == 0) continue;
    chunks.push_back(BufferUse{owner, bytes});
    if (pinned_.count(owner) == 0) unpinned_bytes += bytes;
  }
  return chunks;
}

void TransactionAssembler::pin(const std::vector<BufferUse>& chunks) {
  for (const BufferUse& chunk : chunks) {
    if (pinned_[chunk.owner]++ == 0) ready_bytes_ += chunk.bytes;
  }
}

void TransactionAssembler::unpin(const std::vector<BufferUse>& chunks) {
  for (const BufferUse& chunk : chunks) {
    auto it = pinned_.find(chunk.owner);
    if (it == pinned_.end() || --it->second > 0) continue;
    ready_bytes_ -= chunk.bytes;
    pinned_.erase(it);
  }
}

void TransactionAssembler::enqueue(ChangeBatch&& batch, size_t bytes) {
  size_t unpinned_bytes = 0;
  std::vector<BufferUse> chunks = chunks_of(batch, unpinned_bytes);
  if (overflow_.empty() &&
      (ready_.empty() || ready_bytes_ + bytes + unpinned_bytes <= limits_.max_ready_bytes)) {
    ready_bytes_ += bytes;
    pin(chunks);
    ready_.push_back(ReadyBatch{std::move(batch), bytes, std::move(chunks)});
    return;
  }
  // Contract 3 (bounded memory): the consumer is behind by more than max_ready_bytes, which one
  // decode() call can cause (a streamed transaction delivered whole at its commit).
  if (!overflow_store_) {
    overflow_store_ =
        std::make_unique<spill::HeldEventStore>(overflow_dir_, kOverflowMemoryBytes);
  }
  if (filling_chunk_bytes_ >= kOverflowChunkBytes) {
    ++filling_chunk_;
    filling_chunk_bytes_ = 0;
  }
  OverflowedBatch entry{ChangeBatch{}, batch.events.size(), filling_chunk_};
  for (ChangeEvent& event : batch.events) {
    overflow_store_->append(filling_chunk_, filling_chunk_, std::move(event));
  }
  batch.events.clear();
  batch.events.shrink_to_fit();
  entry.header = std::move(batch);
  filling_chunk_bytes_ += bytes;
  overflow_.push_back(std::move(entry));
}

ChangeBatch TransactionAssembler::take_ready() {
  if (ready_.empty()) return take_overflowed();
  ChangeBatch batch = std::move(ready_.front().batch);
  ready_bytes_ -= ready_.front().bytes;
  unpin(ready_.front().chunks);
  ready_.pop_front();
  return batch;
}

ChangeBatch TransactionAssembler::take_overflowed() {
  if (overflow_.empty()) {  // callers ask has_ready() first
    throw CdcError(ErrorKind::Internal, "take_ready() called with no batch ready");
  }
  OverflowedBatch& entry = overflow_.front();
  if (loaded_next_ == loaded_events_.size()) {
    // Load the next chunk; if it is still being filled, close it: later batches start another.
    if (entry.chunk == filling_chunk_) {
      ++filling_chunk_;
      filling_chunk_bytes_ = 0;
    }
    loaded_events_ = overflow_store_->take(entry.chunk);
    loaded_chunk_ = entry.chunk;
    loaded_next_ = 0;
  }
  if (entry.chunk != loaded_chunk_ || loaded_events_.size() - loaded_next_ < entry.event_count) {
    // No input can cause this (the store gives back what it was given): a bug in sabot-cdc.
    throw CdcError(ErrorKind::Internal, "overflow store lost events of a ready batch");
  }
  ChangeBatch batch = std::move(entry.header);
  const auto first = loaded_events_.begin() + static_cast<std::ptrdiff_t>(loaded_next_);
  const auto last = first + static_cast<std::ptrdiff_t>(entry.event_count);
  batch.events.assign(std::make_move_iterator(first), std::make_move_iterator(last));
  loaded_next_ += entry.event_count;
  overflow_.pop_front();
  if (loaded_next_ == loaded_events_.size()) {
    loaded_events_ = {};  // give the chunk's memory back now
    loaded_next_ = 0;
  }
  if (overflow_.empty()) close_overflow();
  return batch;
}

void TransactionAssembler::close_overflow() {
  overflow_.clear();
  overflow_store_.reset();  // removes its spill files
  loaded_events_ = {};
  loaded_next_ = 0;
  filling_chunk_bytes_ = 0;
  if (!overflow_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(overflow_dir_, ignored);  // only if empty; leaves nothing behind
  }
}

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
  ready_bytes_ = 0;
  pinned_.clear();
  close_overflow();
  schema_gate_.clear();
}

void TransactionAssembler::abandon_open_transaction() {
  open_.reset();
  acks_.abandon_open_transactions();
}

}  // namespace sabot::core
