#include "sinks/kafka/kafka_errors.hpp"

#include <fmt/format.h>

namespace sabot::kafka {

namespace {

std::string_view hint(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "grant this client's principal WRITE (and, for exactly-once, the transactional id) "
             "on the topic";
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "raise message.max.bytes (--kafka-option message.max.bytes=N) and the topic's "
             "max.message.bytes, or leave the large column out of the publication";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return "create the topic (or allow auto.create.topics.enable on the brokers), or change "
             "--kafka-topic";
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return "Kafka did not acknowledge it within the delivery timeout: check that the brokers "
             "are reachable, or raise --kafka-delivery-timeout-ms";
    default:
      return "see the error above; nothing after this change was acknowledged";
  }
}

bool is_retryable(rd_kafka_resp_err_t error) {
  return error == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || error == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         error == RD_KAFKA_RESP_ERR__TRANSPORT || error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
}

}  // namespace

bool is_fenced(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

CdcError delivery_error(const ChangeEvent& event, std::string_view topic,
                        rd_kafka_resp_err_t error) {
  return CdcError(
      is_retryable(error) ? ErrorKind::Connection : ErrorKind::Consumer,
      fmt::format("Kafka refused the {} of {}.{} at commit_lsn {} seq {} on topic {}: {} ({}); "
                  "{}. The batch was not acknowledged: it comes again on the next run",
                  to_string(event.op), event.schema, event.table, event.commit_lsn.to_string(),
                  event.seq, topic, rd_kafka_err2str(error), rd_kafka_err2name(error), hint(error)),
      "", event.commit_lsn);
}

CdcError transaction_error(rd_kafka_error_t* error, std::string_view step,
                           std::string_view transactional_id) {
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  const std::string text = rd_kafka_error_string(error);
  const bool fatal = rd_kafka_error_is_fatal(error);
  rd_kafka_error_destroy(error);
  if (is_fenced(code)) {
    return CdcError(ErrorKind::Consumer,
                    fmt::format("Kafka {} failed: this producer was fenced ({}): another producer "
                                "with transactional id '{}' started, so this sabot-cdc stops. Run "
                                "one instance per transactional id (--kafka-transactional-id)",
                                step, text, transactional_id));
  }
  return CdcError(
      fatal ? ErrorKind::Consumer : ErrorKind::Connection,
      fmt::format("Kafka {} failed for transactional id '{}': {} ({}){}", step, transactional_id,
                  text, rd_kafka_err2name(code), fatal ? "; the producer cannot go on" : ""));
}

}  // namespace sabot::kafka
