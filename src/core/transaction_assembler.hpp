// TransactionAssembler: receives decoded transactions (DecodeHandler) and cuts them into
// ChangeBatches: a batch never mixes transactions; at most batch_size events / about
// max_batch_bytes per batch. It stamps every event with its transaction's xid, commit LSN, commit
// time and position (seq), drops events of tables outside the filter, and registers every
// transaction and batch with the AckTracker so acknowledgements map back to LSNs.
//
// Holding back: the newest event of an open transaction stays pending until the next event or the
// commit arrives, so the last batch of every delivered transaction is non-empty and flagged
// last_in_transaction. Illegal sequences (begin inside a transaction, change or commit outside
// one, xid mismatch) throw CdcError{Protocol}; a broken invariant of its own, CdcError{Internal}.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ack_tracker.hpp"
#include "decode/schema_events.hpp"
#include "decode/decode_handler.hpp"
#include "spill/held_event_store.hpp"
#include "sabot/change_batch.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::core {

struct BatchLimits {
  size_t max_events = 100;
  size_t max_bytes = 8 * 1024 * 1024;
  // Ready batches the consumer has not taken yet are kept in memory up to about this many bytes;
  // the rest wait in an overflow store that spills to files (set_overflow_directory()). One
  // decode() call can make millions of batches ready at once: a streamed (pgoutput) transaction
  // is handed over whole at its Stream Commit.
  size_t max_ready_bytes = 8 * 1024 * 1024;
};

// The transaction being assembled (internal to TransactionAssembler).
struct OpenTx {
  decode::TxBegin begin;
  AckTracker::Ticket ticket = 0;
  uint32_t next_seq = 0;
  bool delivered_any = false;
  std::vector<ChangeEvent> pending;
  size_t pending_bytes = 0;
  std::chrono::steady_clock::time_point pending_since;
};

class TransactionAssembler : public decode::DecodeHandler {
 public:
  using Clock = std::chrono::steady_clock;

  TransactionAssembler(BatchLimits limits, TableFilter filter, AckTracker& acks);

  void on_begin(const decode::TxBegin& begin) override;
  void on_change(ChangeEvent&& event) override;
  void on_commit(const decode::TxCommit& commit) override;
  void on_message(ChangeEvent&& message) override;

  // Batches ready for the consumer, oldest first.
  bool has_ready() const { return !ready_.empty() || !overflow_.empty(); }
  ChangeBatch take_ready();
  // Where ready batches beyond max_ready_bytes spill (created when first needed; must be used by
  // nothing else). Empty (the default): they stay in memory.
  void set_overflow_directory(std::string dir) { overflow_dir_ = std::move(dir); }

  // Hands out the pending events of the open transaction but the newest one, if the oldest has
  // waited at least `max_latency`. Returns true if a batch was made ready.
  bool flush_if_older_than(std::chrono::milliseconds max_latency, Clock::time_point now);
  // When the pending partial batch becomes due for a latency flush; nullopt if none is pending.
  std::optional<Clock::time_point> pending_since() const;

  bool in_transaction() const { return open_.has_value(); }
  // Forget a transaction that will not be completed in this session (connection lost).
  void abandon_open_transaction();
  // Forget everything not yet taken (ready batches and the open transaction): after a reconnect
  // the server sends it all again. Pair with AckTracker::reset_pending().
  void reset();

 private:

  void emit(std::vector<ChangeEvent>&& events, bool last, Lsn end_lsn);
  void enqueue(ChangeBatch&& batch, size_t bytes);
  ChangeBatch take_overflowed();
  void close_overflow();  // forgets the overflow, removes its files and directory
  [[noreturn]] void protocol_error(const std::string& what) const;

  struct BufferUse {
    const void* owner;  // ChangeEvent::storage.values of the events that hold it
    size_t bytes;       // ByteArena::chunk_bytes()
  };
  struct ReadyBatch {
    ChangeBatch batch;
    size_t bytes;  // approximate_event_bytes() of its events
    std::vector<BufferUse> chunks;  // decoder buffers its events hold (see pinned_)
  };
  // The buffers `batch` holds; adds to unpinned_bytes the size of those not pinned yet.
  std::vector<BufferUse> chunks_of(const ChangeBatch& batch, size_t& unpinned_bytes) const;
  void pin(const std::vector<BufferUse>& chunks);
  void unpin(const std::vector<BufferUse>& chunks);
  // A batch waiting in the overflow store: its events are in chunk `chunk` of the store.
  struct OverflowedBatch {
    ChangeBatch header;  // without events
    size_t event_count;
    uint32_t chunk;
  };

  BatchLimits limits_;
  TableFilter filter_;
  decode::SchemaChangeGate schema_gate_;  // DDL messages -> schema_change; drops repeated relation_changed
  AckTracker& acks_;
  std::optional<OpenTx> open_;
  std::deque<ReadyBatch> ready_;
  size_t ready_bytes_ = 0;  // events' approximate bytes + pinned chunks
  // The decoders' shared buffers (ByteArena chunks) ready batches keep alive -> how many ready
  // batches hold each. A buffer counts once in ready_bytes_ while any ready batch holds it, so a
  // few kept events spread over many buffers (the rest filtered out) cannot pin unbounded memory.
  std::unordered_map<const void*, size_t> pinned_;
  // Overflow: FIFO after ready_ (once a batch overflowed, later ones follow it there until it is
  // empty). Events are stored in chunks of about kOverflowChunkBytes, one chunk loaded at a time.
  std::string overflow_dir_;
  std::unique_ptr<spill::HeldEventStore> overflow_store_;
  std::deque<OverflowedBatch> overflow_;
  uint32_t filling_chunk_ = 1;
  size_t filling_chunk_bytes_ = 0;
  uint32_t loaded_chunk_ = 0;
  std::vector<ChangeEvent> loaded_events_;
  size_t loaded_next_ = 0;
  uint64_t next_batch_id_ = 1;
  size_t reserve_hint_ = 1;  // events in the last batch emitted: the next one's first reservation
};

// For an UPDATE without old values whose key columns are known: old = the key columns of the new
// row (the key did not change, or the server would have sent the old one).
void fill_unchanged_old_key(ChangeEvent& event);

}  // namespace sabot::core
