#include "kafka_flags.hpp"

namespace sabot::cli {

bool is_kafka_url(const std::string& url) {
  return url.rfind("kafka://", 0) == 0;
}

void KafkaFlags::add_group_flags(CLI::App& cmd, CLI::Option* sink) {
  cmd.add_option("--kafka-group-max-events", group_max_events,
                 "consecutive batches awaited together (with --kafka-exactly-once: one Kafka "
                 "transaction) hold at most this many events")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str()
      ->needs(sink);
  cmd.add_option("--kafka-group-max-bytes", group_max_bytes,
                 "... and at most this many bytes of message keys and values")
      ->check(CLI::Range(1, 2147483647))
      ->capture_default_str()
      ->needs(sink);
  cmd.add_option("--kafka-group-max-ms", group_max_ms,
                 "... and stay open at most this long; with --kafka-exactly-once a group waits "
                 "that long for more batches when none is at hand (at least once, it ends then)")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str()
      ->needs(sink);
}

void KafkaFlags::add_to(CLI::App& cmd, CLI::Option* sink) {
  cmd.add_option("--kafka-topic", topic,
                 "topic of each table's row changes and truncates; {schema} and {table} are "
                 "replaced")
      ->capture_default_str()
      ->needs(sink);
  cmd.add_option("--kafka-message-topic", message_topic,
                 "topic of logical messages (pg_logical_emit_message), keyed by prefix")
      ->capture_default_str()
      ->needs(sink);
  cmd.add_option("--kafka-schema-topic", schema_topic,
                 "topic of schema changes, keyed by {\"schema\",\"table\"}")
      ->capture_default_str()
      ->needs(sink);
  cmd.add_option("--kafka-transaction-topic", transaction_topic,
                 "with --format debezium --debezium-transaction-metadata: topic of the BEGIN/END "
                 "events, keyed by {\"id\":\"XID:LSN\"}")
      ->capture_default_str()
      ->needs(sink);
  cmd.add_flag("--kafka-tombstones", tombstones,
               "after each delete (and a key-changing update's old key) send a null value with "
               "the same key, for log compaction")
      ->needs(sink);
  cmd.add_option("--kafka-option", settings,
                 "librdkafka setting NAME=VALUE for TLS, SASL, compression, linger, batch size... "
                 "(repeatable)")
      ->needs(sink);
  cmd.add_option("--kafka-delivery-timeout-ms", delivery_timeout_ms,
                 "how long librdkafka retries a message through broker outages before the stream "
                 "stops (delivery.timeout.ms)")
      ->check(CLI::Range(1000, 2147483647))
      ->capture_default_str()
      ->needs(sink);
  cmd.add_flag("--kafka-exactly-once", exactly_once,
               "transactional producer: each group of batches is a Kafka transaction with its "
               "position in the checkpoint topic, read back at start (read_committed consumers "
               "see every change once)")
      ->needs(sink);
  add_group_flags(cmd, sink);
  cmd.add_option("--kafka-transactional-id", transactional_id,
                 "transactional.id for --kafka-exactly-once (default: sabot-cdc-SLOT); a second "
                 "instance with the same id fences the first")
      ->needs(sink);
  cmd.add_option("--kafka-checkpoint-topic", checkpoint_topic,
                 "--kafka-exactly-once: where each transaction records its position (make it "
                 "compacted)")
      ->capture_default_str()
      ->needs(sink);
}

KafkaSinkOptions KafkaFlags::to_options(const std::string& sink_url,
                                        const std::string& slot) const {
  KafkaSinkOptions options;
  options.bootstrap_servers = parse_kafka_url(sink_url);
  options.topic_template = topic;
  options.message_topic = message_topic;
  options.schema_topic = schema_topic;
  options.transaction_topic = transaction_topic;
  options.tombstones = tombstones;
  for (const std::string& spec : settings) add_kafka_setting(options, spec);
  options.delivery_timeout = std::chrono::milliseconds(delivery_timeout_ms);
  options.exactly_once = exactly_once;
  options.transactional_id = transactional_id.empty() ? "sabot-cdc-" + slot : transactional_id;
  options.checkpoint_topic = checkpoint_topic;
  options.group_max_events = static_cast<size_t>(group_max_events);
  options.group_max_bytes = static_cast<size_t>(group_max_bytes);
  options.group_max_age = std::chrono::milliseconds(group_max_ms);
  return options;
}

}  // namespace sabot::cli
