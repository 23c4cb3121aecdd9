#include "sinks/kafka/kafka_producer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sabot/error.hpp"

namespace sabot::kafka {

namespace {

// Served on the thread in rd_kafka_flush/poll; `opaque` is the producer's DeliveryState.
extern "C" void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* state = static_cast<DeliveryState*>(opaque);
  if (state->pending > 0) --state->pending;
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++state->delivered;
    return;
  }
  if (state->failure) return;
  state->failure = DeliveryFailure{rd_kafka_topic_name(message->rkt), message->err,
                                   static_cast<const ChangeEvent*>(message->_private)};
}

// Settings the sink's guarantees rest on: a user may not turn them off.
bool is_reserved(const std::string& name) {
  return name == "enable.idempotence" || name == "partitioner" || name == "transactional.id";
}

}  // namespace

void set_conf(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
              const char* client) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("Kafka {} setting {}={}: {}", client, name, value, errstr));
  }
}

rd_kafka_conf_t* make_conf(const KafkaSinkOptions& options, const char* client) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set_conf(conf, "bootstrap.servers", options.bootstrap_servers, client);
    set_conf(conf, "client.id", "sabot-cdc", client);
    for (const auto& [name, value] : options.settings) {
      if (is_reserved(name)) {
        throw CdcError(ErrorKind::Config,
                       fmt::format("--kafka-option {}: the Kafka sink sets {} itself (use "
                                   "--kafka-exactly-once / --kafka-transactional-id)",
                                   name, name));
      }
      set_conf(conf, name, value, client);
    }
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  return conf;
}

namespace {

bool sets_delivery_timeout(const KafkaSinkOptions& options) {
  for (const auto& setting : options.settings) {
    if (setting.first == "delivery.timeout.ms" || setting.first == "message.timeout.ms") {
      return true;
    }
  }
  return false;
}

// The user's settings first, then what the sink's guarantees need (make_conf refuses those
// names from the user), so linger.ms, acks, compression, TLS, SASL... can all be tuned.
rd_kafka_conf_t* make_producer_conf(const KafkaSinkOptions& options) {
  rd_kafka_conf_t* conf = make_conf(options, "producer");
  try {
    set_conf(conf, "enable.idempotence", "true", "producer");
    set_conf(conf, "partitioner", "murmur2_random", "producer");
    if (!sets_delivery_timeout(options)) {
      set_conf(conf, "delivery.timeout.ms", std::to_string(options.delivery_timeout.count()),
               "producer");
    }
    if (options.exactly_once) {
      set_conf(conf, "transactional.id", options.transactional_id, "producer");
      // librdkafka requires delivery.timeout.ms <= transaction.timeout.ms: a transaction lasts
      // as long as its messages may be retried.
      const auto timeout = std::max(options.transaction_timeout, options.delivery_timeout);
      set_conf(conf, "transaction.timeout.ms", std::to_string(timeout.count()), "producer");
    }
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  return conf;
}

}  // namespace

Producer::Producer(const KafkaSinkOptions& options) {
  rd_kafka_conf_t* conf = make_producer_conf(options);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &delivery_);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw CdcError(ErrorKind::Config, fmt::format("cannot create the Kafka producer: {}", errstr));
  }
}

Producer::~Producer() {
  for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
  // Whatever is still queued belongs to a batch that was not acknowledged: drop it, don't wait.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_destroy(rk_);
}

rd_kafka_topic_t* Producer::topic(std::string_view name) {
  if (auto it = topics_.find(name); it != topics_.end()) return it->second;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, std::string(name).c_str(), nullptr);
  if (!topic) {
    throw CdcError(ErrorKind::Config, fmt::format("Kafka topic '{}': {}", name,
                                                  rd_kafka_err2str(rd_kafka_last_error())));
  }
  topics_.emplace(std::string(name), topic);
  return topic;
}

rd_kafka_resp_err_t Producer::produce(rd_kafka_topic_t* topic, std::string_view key, bool null_key,
                                      std::string_view value, bool null_value,
                                      rd_kafka_headers_t* headers, const ChangeEvent& event) {
  void* opaque = const_cast<ChangeEvent*>(&event);
  for (;;) {
    // On success librdkafka owns `headers`; on failure they stay ours.
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(null_key ? nullptr : key.data(), null_key ? 0 : key.size()),
        RD_KAFKA_V_VALUE(null_value ? nullptr : const_cast<char*>(value.data()),
                         null_value ? 0 : value.size()),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) ++delivery_.pending;
      return err;
    }
    rd_kafka_poll(rk_, 10);  // full: serve delivery reports until there is room
  }
}

void Producer::wait_for_deliveries() {
  while (delivery_.pending > 0) {
    rd_kafka_flush(rk_, 100);
    // A failed message names the change; let the caller report that rather than the state.
    if (delivery_.failure) return;
    if (std::string fatal = fatal_error(); !fatal.empty()) {
      throw CdcError(ErrorKind::Consumer, fatal);
    }
  }
}

void Producer::purge(std::chrono::milliseconds timeout) {
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  // Serve the purged messages' reports now: a late one must not name an event of a later try.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (rd_kafka_outq_len(rk_) > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(rk_, 100);
  }
  delivery_.pending = 0;
  delivery_.failure.reset();
}

std::string Producer::fatal_error() const {
  char errstr[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_, errstr, sizeof(errstr));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  return fmt::format("the Kafka producer hit a fatal error ({}: {}); it cannot go on",
                     rd_kafka_err2name(err), errstr);
}

}  // namespace sabot::kafka
