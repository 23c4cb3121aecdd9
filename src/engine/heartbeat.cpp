#include "engine/heartbeat.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::engine {

void Heartbeat::emit_if_due(Clock::time_point now) {
  if (!enabled()) return;
  if (now - last_attempt_ < config_.heartbeat_interval) return;
  last_attempt_ = now;
  try {
    if (!connection_) {
      connection_ = std::make_unique<pg::PgConnection>(config_, pg::ConnectionKind::Regular);
    }
    connection_->exec(
        fmt::format("SELECT pg_logical_emit_message(false, '{}', '')", kHeartbeatPrefix),
        "writing a heartbeat message");
  } catch (const CdcError& e) {
    connection_.reset();  // try a fresh connection next time
    config_.log(fmt::format("heartbeat failed (will retry): {}", e.what()));
  }
}

}  // namespace sabot::engine
