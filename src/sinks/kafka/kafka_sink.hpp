// KafkaSinkImpl: the Kafka sink of include/sabot/kafka_sink.hpp. submit() renders every event of
// a batch into messages (kafka_sink.cpp) and produces them asynchronously into the open group;
// await_oldest() makes the group of the oldest submitted batch durable: every delivery report in,
// and with exactly_once a checkpoint record and the commit of the group's Kafka transaction.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "sabot/kafka_sink.hpp"
#include "sinks/kafka/kafka_producer.hpp"

namespace sabot::kafka {

class KafkaSinkImpl : public KafkaSink {
 public:
  explicit KafkaSinkImpl(const KafkaSinkOptions& options);

  std::optional<EventPosition> checkpoint() override;
  void write(const ChangeBatch& batch) override;
  void submit(const ChangeBatch& batch) override;
  void await_oldest() override;
  size_t max_in_flight() const override { return options_.max_batches_in_flight; }
  // Exactly once: a group (one Kafka transaction) stays open up to group_max_age for more
  // batches, since each commit costs round trips; at least once awaits at once (latency).
  std::chrono::milliseconds linger() const override {
    return options_.exactly_once
               ? std::chrono::duration_cast<std::chrono::milliseconds>(options_.group_max_age)
               : std::chrono::milliseconds(0);
  }
  void reset() override;
  std::string name() const override;
  const KafkaSinkStats& stats() const override { return stats_; }

 private:
  // A submitted batch not yet awaited: the group it was produced in.
  struct InFlight {
    uint64_t group = 0;
  };
  // The group batches are produced into: consecutive batches made durable together.
  struct OpenGroup {
    uint64_t id = 1;
    size_t batches = 0;
    size_t events = 0;
    size_t bytes = 0;  // keys and values produced
    uint64_t tombstones = 0;
    std::chrono::steady_clock::time_point started;
    const ChangeEvent* last = nullptr;  // its newest event (in a batch not yet awaited)
    bool transaction = false;           // exactly_once: a Kafka transaction is open
  };

  bool group_is_full(const ChangeBatch& next) const;
  void open_group();
  // Makes the open group durable; throws (after aborting its transaction) if it could not.
  void finish_group();
  void commit_group();
  void produce_batch(const ChangeBatch& batch);
  void produce_event(const ChangeEvent& event);
  // A BEGIN or END message of `batch`'s transaction, with the headers of `at`.
  void produce_transaction_event(const KafkaBatchRenderer& render, const ChangeBatch& batch,
                                 const ChangeEvent& at);
  // One message of `event`; an empty key_ is a null key.
  void send(std::string_view topic, bool null_value, const ChangeEvent& event);
  void await_deliveries();
  void start_transactions();
  void commit_transaction();
  void abort_transaction_quietly();

  KafkaSinkOptions options_;
  Producer producer_;
  // The newest event of the newest durable group (exactly_once: read back from Kafka at start).
  std::optional<EventPosition> durable_;
  KafkaSinkStats stats_;
  std::deque<InFlight> in_flight_;
  OpenGroup group_;
  uint64_t durable_through_ = 0;  // every group with an id up to this one is durable
  // Reused per message.
  std::string topic_;
  std::string topic_schema_, topic_table_;  // the table topic_ was rendered for
  std::string key_;
  std::string value_;
};

}  // namespace sabot::kafka
