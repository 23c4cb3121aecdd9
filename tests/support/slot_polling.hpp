// Test support: what a replication slot says on the server, and bounded polling for a condition
// (a slot that advances, a file that fills) instead of fixed sleeps.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "local_postgres.hpp"
#include "sabot/lsn.hpp"

namespace sabot::test {

// The slot's confirmed_flush_lsn; throws std::runtime_error if the slot does not exist or has none.
Lsn confirmed_flush_lsn(const LocalPostgres& pg, const std::string& slot);
// Whether a walsender holds the slot right now.
bool slot_is_active(const LocalPostgres& pg, const std::string& slot);

// Checks `condition` every 50 ms until it holds or `limit` has passed; returns whether it held
// (it is checked once more at the end).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace sabot::test
