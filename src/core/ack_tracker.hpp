// AckTracker: turns out-of-order consumer acknowledgements into the one position that is safe to
// report to PostgreSQL as flushed (DESIGN.md contract 1).
//
// Transactions are registered in stream order (open → batches → commit). The watermark is the end
// LSN of the newest committed transaction that, with every transaction before it, has all of its
// batches acknowledged. A transaction with no delivered batch (everything filtered out) counts as
// acknowledged. When nothing at all is pending, the stream may advance the watermark to the
// server's WAL end from a keepalive, so an idle or filtered-out slot does not retain WAL.
// Not thread-safe: owned by the connector's single driving thread.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "sabot/lsn.hpp"

namespace sabot::core {

class AckTracker {
 public:
  using Ticket = uint64_t;

  explicit AckTracker(Lsn start = Lsn()) : watermark_(start) {}

  Ticket open_transaction();
  void add_batch(Ticket ticket, uint64_t batch_id);
  // Marks the transaction complete on the server side; `end_lsn` is where a restart resumes.
  void commit_transaction(Ticket ticket, Lsn end_lsn);
  // Drops an open transaction that will never commit here (stream ended mid-transaction).
  void abandon_open_transactions();
  // Forgets every pending transaction and batch (the stream reconnected: the server sends all of
  // them again). The watermark stays.
  void reset_pending();
  // Idempotent; an unknown or already acknowledged id is ignored (returns false).
  bool acknowledge(uint64_t batch_id);

  Lsn watermark() const { return watermark_; }
  // Nothing handed out is unacknowledged and no transaction is open.
  bool idle() const { return entries_.empty(); }
  // If idle(), raises the watermark to `server_position` (never lowers it).
  void advance_if_idle(Lsn server_position);
  size_t pending_transactions() const { return entries_.size(); }

 private:
  struct Entry {
    Lsn end_lsn;
    bool committed = false;
    uint32_t outstanding_batches = 0;
  };
  void pop_completed_prefix();
  Entry& entry(Ticket ticket);

  std::deque<Entry> entries_;  // entries_[i] has ticket front_ticket_ + i
  Ticket front_ticket_ = 0;
  Ticket next_ticket_ = 0;
  std::unordered_map<uint64_t, Ticket> batch_owner_;
  Lsn watermark_;
};

}  // namespace sabot::core
