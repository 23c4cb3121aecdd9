// FeedbackClock: when the connector sends a standby status update, and what it reports.
//
// What (DESIGN.md, contract 1): flush and apply are the acknowledgement watermark, never a
// position merely received; write is the newest position received, or the watermark when that is
// newer (a keepalive's WAL end confirmed while nothing was in flight).
// When: every status_interval while the stream is busy (periodic_due); the connector also sends
// one at once when the server asks, and when a caught-up stream has an acknowledgement not yet
// sent (unsent_acknowledgement), so an idle stream confirms without waiting for the interval.
// Ping: waiting for an end position with nothing in flight, the connector asks the server for a
// reply (the answer is a keepalive carrying its WAL end). One ping is outstanding at a time, until
// the server is heard from again.
//
// Ownership: a value the connector owns for its lifetime; no I/O: the connector sends what this
// decides and tells it what was sent. Errors: none.
#pragma once

#include <algorithm>
#include <chrono>

#include "sabot/lsn.hpp"

namespace sabot::engine {

class FeedbackClock {
 public:
  using Clock = std::chrono::steady_clock;

  struct Positions {
    Lsn write;
    Lsn flush;
    Lsn apply;
  };

  explicit FeedbackClock(std::chrono::milliseconds status_interval)
      : status_interval_(status_interval) {}

  // The positions a status update reports, given the newest received and the watermark.
  static Positions positions(Lsn received, Lsn watermark) {
    return Positions{std::max(received, watermark), watermark, watermark};
  }

  // A session has started: the first periodic update is one interval away, no ping outstanding.
  void restart(Clock::time_point now) {
    last_sent_time_ = now;
    ping_outstanding_ = false;
  }
  bool periodic_due(Clock::time_point now) const {
    return now - last_sent_time_ >= status_interval_;
  }
  // Until the periodic update is due; negative when it is overdue.
  Clock::duration until_periodic(Clock::time_point now) const {
    return status_interval_ - (now - last_sent_time_);
  }
  void sent(Lsn flush, Clock::time_point now) {
    last_sent_time_ = now;
    last_sent_flush_ = flush;
  }
  // The watermark moved past the last flush position sent.
  bool unsent_acknowledgement(Lsn watermark) const { return watermark > last_sent_flush_; }

  bool ping_outstanding() const { return ping_outstanding_; }
  void ping_sent() { ping_outstanding_ = true; }
  // An XLogData or keepalive arrived: it answers any outstanding ping.
  void heard_from_server() { ping_outstanding_ = false; }

 private:
  std::chrono::milliseconds status_interval_;
  Clock::time_point last_sent_time_{};
  Lsn last_sent_flush_;
  bool ping_outstanding_ = false;
};

}  // namespace sabot::engine
