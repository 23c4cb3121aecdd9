#include "engine/reconnect_backoff.hpp"

#include <algorithm>
#include <cstdint>

namespace sabot::engine {

std::chrono::milliseconds ReconnectBackoff::next_wait() {
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(delay_.count()) * jitter(jitter_rng_)));
}

bool ReconnectBackoff::retry_after(const CdcError& error, int attempt) {
  return error.retryable() && retry_after_attempt(attempt);
}

bool ReconnectBackoff::retry_after_attempt(int attempt) {
  if (!policy_.enabled || (policy_.max_attempts > 0 && attempt >= policy_.max_attempts)) {
    return false;
  }
  delay_ = std::min(delay_ * 2, policy_.max_delay);
  return true;
}

}  // namespace sabot::engine
