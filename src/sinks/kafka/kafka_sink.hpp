// KafkaSinkImpl: the Kafka sink of include/sabot/kafka_sink.hpp. write() renders every event of
// the batch into messages (kafka_sink.cpp), produces them asynchronously and waits for their
// delivery reports; with exactly_once it wraps that in a transaction with a checkpoint record.
#pragma once

#include <optional>
#include <string>

#include "sabot/kafka_sink.hpp"
#include "sinks/kafka/kafka_producer.hpp"

namespace sabot::kafka {

class KafkaSinkImpl : public KafkaSink {
 public:
  explicit KafkaSinkImpl(const KafkaSinkOptions& options);

  std::optional<EventPosition> checkpoint() override { return checkpoint_; }
  void write(const ChangeBatch& batch) override;
  const KafkaSinkStats& stats() const override { return stats_; }

 private:
  void produce_batch(const ChangeBatch& batch);
  void produce_event(const ChangeEvent& event, size_t index);
  // One message of `event`; an empty key_ is a null key.
  void send(std::string_view topic, bool null_value, const ChangeEvent& event, size_t index);
  void await_batch(const ChangeBatch& batch);
  void write_transaction(const ChangeBatch& batch);
  void start_transactions();
  void commit_transaction();
  void abort_transaction_quietly();

  KafkaSinkOptions options_;
  Producer producer_;
  std::optional<EventPosition> checkpoint_;
  KafkaSinkStats stats_;
  // Reused per message.
  std::string topic_;
  std::string key_;
  std::string value_;
  uint64_t batch_tombstones_ = 0;
};

}  // namespace sabot::kafka
