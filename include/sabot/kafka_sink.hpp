// Kafka sink: every change as a Kafka message, keyed by the row's key, acknowledged only once
// Kafka acknowledged it. Use it with run_sink() (see sink.hpp) or from the CLI:
//   sabot-cdc stream --sink kafka://127.0.0.1:9092 --kafka-topic 'cdc.{schema}.{table}'
//
// Where each event goes (topic names from templates: {schema} and {table} are replaced):
//   insert, update, delete, read  topic_template; key = the row's key columns as a JSON object
//                                 ({"id":1}; a delete's from `old`); with tombstones, a delete is
//                                 followed by a null-valued message with the same key, and an
//                                 update that changed the key by one for the old key.
//   truncate                      topic_template of the table, null key (a random partition).
//   message (pg_logical_emit_message)  message_topic; key = the prefix as a JSON string.
//   schema_change                 schema_topic; key = {"schema":S,"table":T}.
// Values are render_value(event) (default: the event as `sabot-cdc stream` prints it, without
// the newline). Headers: commit_lsn ("16/B374D848"), seq and xid (decimal), as text.
// Partitioning: librdkafka's murmur2_random, the Java client's default: a keyed message goes to
// murmur2(key) % partitions, like Kafka Streams and Connect producers.
//
// Durability: an idempotent producer (enable.idempotence=true, acks=all). write() produces the
// whole batch asynchronously and returns once every message has a successful delivery report.
// Retryable broker errors (a broker down, a leader change, a timeout) are retried by librdkafka
// for up to delivery_timeout; meanwhile write() waits (memory: one batch). A message that still
// fails, or a permanent error (topic authorization, message too large, unknown topic with
// auto-create off, a fatal idempotence error), makes write() throw CdcError{Consumer} naming the
// topic, the error and the event's position (commit_lsn/seq); the batch is not acknowledged.
//
// Exactly once (exactly_once = true): a transactional producer (transactional_id). Each write()
// is one Kafka transaction holding the batch's messages and, last, a checkpoint record in
// checkpoint_topic (key = transactional_id, value {"commit_lsn":"0/16B3748","seq":12}, the
// position of the batch's last event), produced after the batch's messages were delivered. The
// sink opens by init_transactions() — which fences any older producer with the same id and aborts
// its open transaction — and then reads the newest checkpoint for its id with a read_committed
// consumer; checkpoint() returns it, so run_sink() drops what Kafka already holds. A second
// instance with the same transactional id fences the first: the first's next write() throws
// CdcError{Consumer} saying it was fenced, and it must stop.
//
// Threading: a sink is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sabot/sink.hpp"

namespace sabot {

// Appends a rendering of `event` (a message's key or value) to `out`.
using KafkaRenderer = std::function<void(std::string& out, const ChangeEvent& event)>;

struct KafkaSinkOptions {
  std::string bootstrap_servers;  // HOST:PORT[,HOST:PORT...]
  std::string topic_template = "sabot.{schema}.{table}";
  std::string message_topic = "sabot.messages";
  std::string schema_topic = "sabot.schema_changes";
  bool tombstones = false;
  // Any librdkafka setting (security.protocol, sasl.*, ssl.*, compression.type, linger.ms,
  // batch.size, ...), applied after the sink's own, so they override them — except
  // enable.idempotence, partitioner and transactional.id, which the sink needs as it sets them.
  std::vector<std::pair<std::string, std::string>> settings;
  // How long librdkafka retries a message before it fails (delivery.timeout.ms).
  std::chrono::milliseconds delivery_timeout{std::chrono::minutes(5)};

  bool exactly_once = false;
  std::string transactional_id;  // required with exactly_once
  std::string checkpoint_topic = "sabot.checkpoints";
  // Longest wait for init_transactions(), commit and the checkpoint read-back.
  std::chrono::milliseconds transaction_timeout{std::chrono::seconds(60)};

  // Empty = the defaults described above.
  KafkaRenderer render_value;
  KafkaRenderer render_key;
};

// What the sink did, summed over every write().
struct KafkaSinkStats {
  uint64_t batches = 0;
  uint64_t messages = 0;  // acknowledged by Kafka (tombstones included)
  uint64_t tombstones = 0;
  uint64_t transactions = 0;  // committed (exactly_once)
};

class KafkaSink : public Sink {
 public:
  virtual const KafkaSinkStats& stats() const = 0;
};

// Creates the producer (and, with exactly_once, initialises transactions and reads the
// checkpoint back). Throws CdcError{Config} for a bad option, CdcError{Consumer} when Kafka
// refuses or cannot be reached within transaction_timeout.
std::unique_ptr<KafkaSink> make_kafka_sink(const KafkaSinkOptions& options);

// Parsing helpers for command lines and configuration files; each throws CdcError{Config} naming
// the text and the accepted form.
// "kafka://HOST:PORT[,HOST:PORT...]" → "HOST:PORT,...".
std::string parse_kafka_url(std::string_view url);
// "NAME=VALUE" appended to options.settings.
void add_kafka_setting(KafkaSinkOptions& options, std::string_view spec);

// The default renderings: the event's JSON object (append_json_line without the newline), and its
// key columns as a JSON object (a delete's from `old`; nothing — a null key — when the event has no
// key columns).
void append_kafka_default_value(std::string& out, const ChangeEvent& event);
void append_kafka_default_key(std::string& out, const ChangeEvent& event);

// The topic of a table by a template with {schema} and {table}.
std::string render_kafka_topic(std::string_view topic_template, std::string_view schema,
                               std::string_view table);

}  // namespace sabot
