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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ack_tracker.hpp"
#include "core/ready_queue.hpp"
#include "decode/schema_events.hpp"
#include "decode/decode_handler.hpp"
#include "sabot/change_batch.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::core {

struct BatchLimits {
  size_t max_events = 100;
  size_t max_bytes = 8 * 1024 * 1024;
  // Ready batches the consumer has not taken yet are kept in memory up to about this many bytes,
  // the rest spill to files (see ReadyQueue).
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
  // A non-transactional message the connector consumed itself (a snapshot watermark): nothing for
  // the consumer, but a position the slot may confirm once everything before it is acknowledged.
  void consume_position(Lsn lsn);

  // Batches ready for the consumer, oldest first.
  bool has_ready() const { return !ready_.empty(); }
  ChangeBatch take_ready();
  // Where ready batches beyond max_ready_bytes spill (see ReadyQueue::set_overflow_directory).
  void set_overflow_directory(std::string dir) { ready_.set_overflow_directory(std::move(dir)); }

  // Hands out the pending events of the open transaction but the newest one, if the oldest has
  // waited at least `max_latency`. Returns true if a batch was made ready.
  bool flush_if_older_than(std::chrono::milliseconds max_latency, Clock::time_point now);
  // When the pending partial batch becomes due for a latency flush; nullopt if none is pending.
  std::optional<Clock::time_point> pending_since() const;

  bool in_transaction() const { return open_.has_value(); }
  // Row changes dropped by the table filter since construction (reset() keeps counting).
  uint64_t filtered_events() const { return filtered_events_; }
  // Forget a transaction that will not be completed in this session (connection lost).
  void abandon_open_transaction();
  // Forget everything not yet taken (ready batches and the open transaction): after a reconnect
  // the server sends it all again. Pair with AckTracker::reset_pending().
  void reset();

 private:
  void emit(std::vector<ChangeEvent>&& events, bool last, Lsn end_lsn);
  [[noreturn]] void protocol_error(const std::string& what) const;

  BatchLimits limits_;
  TableFilter filter_;
  // DDL messages -> schema_change; drops repeated relation_changed events.
  decode::SchemaChangeGate schema_gate_;
  AckTracker& acks_;
  std::optional<OpenTx> open_;
  ReadyQueue ready_;
  uint64_t next_batch_id_ = 1;
  uint64_t filtered_events_ = 0;
  size_t reserve_hint_ = 1;  // events in the last batch emitted: the next one's first reservation
};

// For an UPDATE without old values whose key columns are known: old = the key columns of the new
// row (the key did not change, or the server would have sent the old one).
void fill_unchanged_old_key(ChangeEvent& event);

}  // namespace sabot::core
