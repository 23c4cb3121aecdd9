// ReconnectBackoff: the waits between reconnect attempts (PostgresCdcConfig::reconnect). The first
// wait is initial_delay, each failed attempt doubles it up to max_delay, and every wait is scaled
// by a random factor in [0.75, 1.25] so that many consumers cut off together (a server restart)
// do not come back in lockstep.
//
// Ownership: a value the connector owns for its lifetime (the random generator is seeded once).
// Errors: throws nothing; it answers whether to go on, the caller throws.
#pragma once

#include <chrono>
#include <random>

#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace sabot::engine {

class ReconnectBackoff {
 public:
  explicit ReconnectBackoff(const ReconnectPolicy& policy) : policy_(policy) {}

  // Whether `error` is worth reconnecting for: reconnecting is enabled and the error may go away
  // by itself (CdcError::retryable()).
  bool applies_to(const CdcError& error) const { return policy_.enabled && error.retryable(); }
  // Starts a series of attempts: the next wait is initial_delay (jittered).
  void restart() { delay_ = policy_.initial_delay; }
  // The wait before the next attempt.
  std::chrono::milliseconds next_wait();
  // After failed attempt number `attempt` (counting from 1): false to give up, because `error` is
  // permanent or max_attempts (when not 0) attempts failed; otherwise doubles the delay, capped.
  bool retry_after(const CdcError& error, int attempt);
  // The same for an error the caller already judged retryable (a sink's, see sink.hpp), and
  // false also when the policy is disabled. The delivery runtime passes the retries made so far.
  bool retry_after_attempt(int attempt);

 private:
  ReconnectPolicy policy_;
  std::chrono::milliseconds delay_{policy_.initial_delay};
  std::minstd_rand jitter_rng_{std::random_device{}()};
};

}  // namespace sabot::engine
