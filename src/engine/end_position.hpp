// EndPosition: the stop at PostgresCdcConfig::end_lsn (--end-lsn). The stream ends between
// transactions, once everything up to the end position was decoded and handed on:
//   - XLogData starting past the end, outside a transaction, is not decoded (a later run starts
//     there) and ends the stream;
//   - a message at or past the end decoded outside a transaction (a commit) ends it;
//   - a keepalive whose WAL end is at or past it ends it when nothing is in a transaction or ready
//     to hand out: the server has nothing more up to the end.
// Without an end position it is never reached. Once reached it stays reached, across reconnects.
//
// Ownership: a value the connector owns. Pure: the caller says whether the assembler is inside a
// transaction or holds ready batches. Errors: none.
#pragma once

#include <optional>

#include "sabot/lsn.hpp"

namespace sabot::engine {

class EndPosition {
 public:
  explicit EndPosition(std::optional<Lsn> end) : end_(end) {}

  bool reached() const { return reached_; }

  // Before decoding XLogData starting at `wal_start`: true when it lies past the end between
  // transactions; it must then not be decoded, and the end is reached.
  bool stops_before(Lsn wal_start, bool in_transaction) {
    if (!end_ || in_transaction || wal_start <= *end_) return false;
    reached_ = true;
    return true;
  }
  // After decoding XLogData starting at `wal_start`.
  void after_decoded(Lsn wal_start, bool in_transaction) {
    if (end_ && !in_transaction && wal_start >= *end_) reached_ = true;
  }
  void after_keepalive(Lsn wal_end, bool in_transaction, bool has_ready) {
    if (end_ && wal_end >= *end_ && !in_transaction && !has_ready) reached_ = true;
  }
  // Waiting for an end position with nothing in flight: only the server's WAL end can tell
  // whether it was reached (see FeedbackClock, ping).
  bool needs_server_position(bool in_transaction) const { return end_ && !in_transaction; }

 private:
  std::optional<Lsn> end_;
  bool reached_ = false;
};

}  // namespace sabot::engine
