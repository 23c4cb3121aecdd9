#include "transactions.hpp"

#include <algorithm>
#include <csignal>
#include <utility>

namespace sabot::examples {

std::optional<Transaction> TransactionCollector::add(const ChangeBatch& batch) {
  if (batch.first_in_transaction) {
    pending_ = Transaction{batch.transaction_id, batch.commit_lsn, batch.commit_time, {}};
  }
  pending_.events.insert(pending_.events.end(), batch.events.begin(), batch.events.end());
  if (!batch.last_in_transaction) return std::nullopt;
  return std::exchange(pending_, Transaction{});
}

bool is_done_message(const ChangeEvent& event) {
  return event.op == Op::Message && event.message_prefix == kDoneMessagePrefix;
}

void for_each_transaction(PostgresCdcConnector& connector, bool stop_at_done_message,
                          const std::function<void(const Transaction&)>& handle) {
  TransactionCollector collector;
  std::vector<uint64_t> unacknowledged;  // batches of the transaction being collected
  while (auto batch = connector.next_batch()) {
    unacknowledged.push_back(batch->batch_id);
    std::optional<Transaction> tx = collector.add(*batch);
    if (!tx) continue;
    handle(*tx);
    for (uint64_t id : unacknowledged) connector.acknowledge(id);
    unacknowledged.clear();
    if (stop_at_done_message &&
        std::any_of(tx->events.begin(), tx->events.end(), is_done_message)) {
      return;
    }
  }
}

namespace {
PostgresCdcConnector* g_stoppable = nullptr;
extern "C" void request_stop_from_signal(int) {
  if (g_stoppable) g_stoppable->request_stop();
}
}  // namespace

void stop_on_signals(PostgresCdcConnector& connector) {
  g_stoppable = &connector;
  struct sigaction action {};
  action.sa_handler = request_stop_from_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace sabot::examples
