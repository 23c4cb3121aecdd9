// Whole transactions out of the batch stream. A ChangeBatch never mixes two transactions but a
// large transaction spans several batches; processors that must see "everything this transaction
// did" (an order with its items, a payment with its status change) collect them first.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <sabot/sabot.hpp>
#include <string_view>
#include <vector>

namespace sabot::examples {

struct Transaction {
  uint32_t transaction_id = 0;
  Lsn commit_lsn;
  Timestamp commit_time{};
  std::vector<ChangeEvent> events;
};

class TransactionCollector {
 public:
  // Adds one batch; returns the whole transaction once its last batch arrived.
  std::optional<Transaction> add(const ChangeBatch& batch);

 private:
  Transaction pending_;
};

// The workloads end with a transactional logical message with this prefix, so a program streaming
// concurrently knows it has seen everything the workload did, without sleeping or guessing.
inline constexpr std::string_view kDoneMessagePrefix = "sabot_example";
inline constexpr const char* kDoneMessageSql =
    "SELECT pg_logical_emit_message(true, 'sabot_example', 'workload done')";
bool is_done_message(const ChangeEvent& event);

// Streams whole transactions into `handle` and acknowledges their batches once it returned, so
// the slot never moves past a transaction the handler has not finished. Returns when the
// connector stops (end LSN, request_stop()) or after the transaction holding the done message
// when stop_at_done_message is set.
void for_each_transaction(PostgresCdcConnector& connector, bool stop_at_done_message,
                          const std::function<void(const Transaction&)>& handle);

// SIGINT/SIGTERM ask the connector to stop (it then finishes cleanly and confirms its position).
void stop_on_signals(PostgresCdcConnector& connector);

}  // namespace sabot::examples
