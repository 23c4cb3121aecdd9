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
//   transaction BEGIN / END       transaction_topic (only with render_begin, see below).
// Values are render_value(event) (default: the event as `sabot-cdc stream` prints it, without
// the newline). Headers: commit_lsn ("16/B374D848"), seq and xid (decimal), as text.
// Partitioning: librdkafka's murmur2_random, the Java client's default: a keyed message goes to
// murmur2(key) % partitions, like Kafka Streams and Connect producers.
//
// Durability: an idempotent producer (enable.idempotence=true, acks=all). Batches are produced
// asynchronously in groups: submit() produces a batch into the open group and returns;
// await_oldest() returns once the oldest submitted batch's group is durable, making it so if it
// is not yet: every message of the group has a successful delivery report. A group is the run of
// consecutive batches submitted until run_sink() has no further batch at hand (it then awaits),
// or until it holds group_max_events events or group_max_bytes bytes of keys and values, or has
// been open group_max_age. write() is submit() then await_oldest(). Retryable broker errors (a
// broker down, a leader change, a timeout) are retried by librdkafka for up to delivery_timeout;
// meanwhile the sink waits (memory: the batches in flight, bounded by max_batches_in_flight and
// run_sink's DeliveryOptions). A message that still fails, or a permanent error (topic
// authorization, message too large, unknown topic with auto-create off, a fatal idempotence
// error), throws CdcError{Consumer} naming the topic, the error and the event's position
// (commit_lsn/seq); no batch of the group is acknowledged, and reset() drops what is queued.
// The batches given to submit() must stay alive until awaited or reset() (run_sink keeps them).
//
// Exactly once (exactly_once = true): a transactional producer (transactional_id). Each group is
// one Kafka transaction holding its batches' messages — so one Kafka transaction may span several
// source transactions — and, last, a checkpoint record in checkpoint_topic (key =
// transactional_id, value {"commit_lsn":"0/16B3748","seq":12}, the position of the group's last
// event), produced after the group's messages were delivered; the group is durable once
// commit_transaction() succeeded, and only then are its batches acknowledged. The sink opens by
// init_transactions() — which fences any older producer with the same id and aborts its open
// transaction — and then reads the newest checkpoint for its id with a read_committed consumer;
// checkpoint() returns it (and, later, the newest committed group's), so run_sink() drops what
// Kafka already holds. A second instance with the same transactional id fences the first: the
// first's next transactional call (begin, produce, commit) fails and it throws CdcError{Consumer}
// saying it was fenced; it must stop (README "Exactly once": fencing).
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
// Appends a rendering of something about `batch` (a transaction metadata event or its key).
using KafkaBatchRenderer = std::function<void(std::string& out, const ChangeBatch& batch)>;

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

  // Bounds of a group (see Durability above): events, bytes of keys and values, and how long it
  // stays open while batches keep coming; and how many batches may be submitted, not awaited.
  size_t group_max_events = 10000;
  size_t group_max_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds group_max_age{100};
  size_t max_batches_in_flight = 1000;

  // Empty = the defaults described above.
  KafkaRenderer render_value;
  KafkaRenderer render_key;

  // Transaction metadata (Debezium's provide.transaction.metadata; none when render_begin is
  // empty): before the events of a batch that is first_in_transaction, a message whose value is
  // render_begin(batch), and after those of a batch that is last_in_transaction one with
  // render_end(batch) — rendered after the batch's values, so it can count them — both keyed by
  // render_transaction_key(batch), to transaction_topic, with the position headers of the
  // batch's first / last event. A renderer that appends nothing sends no message. They are part
  // of the batch: acknowledged, grouped and (exactly_once) committed with it.
  KafkaBatchRenderer render_begin;
  KafkaBatchRenderer render_end;
  KafkaBatchRenderer render_transaction_key;
  std::string transaction_topic = "sabot.transaction";
};

// What the sink did, summed over every write().
struct KafkaSinkStats {
  uint64_t batches = 0;  // made durable
  uint64_t messages = 0;  // acknowledged by Kafka (tombstones included)
  uint64_t tombstones = 0;
  uint64_t transactions = 0;  // committed (exactly_once): one per group
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
