// Producer: the librdkafka producer handle of the Kafka sink, its configuration, the topic
// handles it reuses, and what its delivery reports said. Owned by one sink, used by one thread:
// delivery reports are served from wait_for_deliveries() on the calling thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sabot/kafka_sink.hpp"

namespace sabot::kafka {

// The first failed delivery since the last reset(): the event the message was produced for
// (borrowed: it lives in a batch the sink has not completed yet), its topic and librdkafka's error.
struct DeliveryFailure {
  std::string topic;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  const ChangeEvent* event = nullptr;
};

struct DeliveryState {
  size_t pending = 0;  // produced, no delivery report yet
  uint64_t delivered = 0;
  std::optional<DeliveryFailure> failure;
};

class Producer {
 public:
  // Throws CdcError{Config} for a setting librdkafka rejects.
  explicit Producer(const KafkaSinkOptions& options);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  rd_kafka_t* handle() const { return rk_; }
  // The handle of topic `name`, created on first use and kept while the producer lives.
  rd_kafka_topic_t* topic(std::string_view name);

  // Queues one message (payloads copied). `event` comes back in a failure, so it must outlive
  // the message's delivery report. Waits while librdkafka's queue is full (bounded memory).
  // Returns librdkafka's immediate error, if any.
  rd_kafka_resp_err_t produce(rd_kafka_topic_t* topic, std::string_view key, bool null_key,
                              std::string_view value, bool null_value, rd_kafka_headers_t* headers,
                              const ChangeEvent& event);

  // Returns once every produced message has its delivery report, or early once one failed.
  // Delivery timeouts are librdkafka's (delivery.timeout.ms), so this ends. Throws
  // CdcError{Consumer} if the producer hit a fatal error and no message failed.
  void wait_for_deliveries();
  DeliveryState& delivery() { return delivery_; }
  // Drops every queued and in-flight message and serves their (failed) delivery reports, waiting
  // up to `timeout` for them, so nothing is pending and no failure is kept.
  void purge(std::chrono::milliseconds timeout);

  // The fatal error's text ("" if none): an idempotence or transaction state that cannot go on.
  std::string fatal_error() const;

 private:
  rd_kafka_t* rk_ = nullptr;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;
  DeliveryState delivery_;
};

// librdkafka's configuration for `options`, with `client` ("producer" or "consumer") in errors.
// Throws CdcError{Config} naming the setting.
rd_kafka_conf_t* make_conf(const KafkaSinkOptions& options, const char* client);
void set_conf(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
              const char* client);

}  // namespace sabot::kafka
