// Heartbeat: every PostgresCdcConfig::heartbeat_interval, a non-transactional logical message with
// prefix kHeartbeatPrefix, written through a second, regular connection. Even a database with no
// writes at all then produces WAL the slot can confirm. The assembler consumes these messages;
// the consumer never sees them.
//
// Ownership: owns its connection, opened at the first heartbeat and dropped after a failure;
// borrows the config, which must outlive it. Errors: none escape. A failed heartbeat is logged
// through config.log and tried again at the next interval on a fresh connection: a heartbeat is
// a help for the slot, never a reason to stop streaming.
#pragma once

#include <chrono>
#include <memory>

#include "pg/pg_connection.hpp"
#include "sabot/config.hpp"

namespace sabot::engine {

class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Heartbeat(const PostgresCdcConfig& config) : config_(config) {}

  bool enabled() const { return config_.heartbeat_interval.count() > 0; }
  // Writes a heartbeat when enabled and an interval has passed since the last attempt (the first
  // is due at once).
  void emit_if_due(Clock::time_point now);
  // Until the next heartbeat is due (negative when overdue). Meaningful only when enabled().
  Clock::duration until_due(Clock::time_point now) const {
    return last_attempt_ + config_.heartbeat_interval - now;
  }
  // Drops the connection; the next heartbeat opens a new one.
  void close() { connection_.reset(); }

 private:
  const PostgresCdcConfig& config_;
  std::unique_ptr<pg::PgConnection> connection_;
  Clock::time_point last_attempt_{};
};

}  // namespace sabot::engine
