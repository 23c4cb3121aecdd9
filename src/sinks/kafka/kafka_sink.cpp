#include "sinks/kafka/kafka_sink.hpp"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"
#include "sinks/kafka/kafka_checkpoint.hpp"
#include "sinks/kafka/kafka_errors.hpp"

namespace sabot {

std::unique_ptr<KafkaSink> make_kafka_sink(const KafkaSinkOptions& options) {
  return std::make_unique<kafka::KafkaSinkImpl>(options);
}

}  // namespace sabot

namespace sabot::kafka {

namespace {

KafkaSinkOptions with_defaults(KafkaSinkOptions options) {
  if (options.bootstrap_servers.empty()) {
    throw CdcError(ErrorKind::Config, "the Kafka sink needs bootstrap servers (kafka://HOST:PORT)");
  }
  if (options.exactly_once && options.transactional_id.empty()) {
    throw CdcError(ErrorKind::Config,
                   "--kafka-exactly-once needs a transactional id (--kafka-transactional-id)");
  }
  if (!options.render_value) options.render_value = append_kafka_default_value;
  if (!options.render_key) options.render_key = append_kafka_default_key;
  return options;
}

bool is_row_change(Op op) {
  return op == Op::Insert || op == Op::Update || op == Op::Delete || op == Op::Read;
}

rd_kafka_headers_t* position_headers(const ChangeEvent& event) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(3);
  const std::string commit_lsn = event.commit_lsn.to_string();
  const std::string seq = std::to_string(event.seq);
  const std::string xid = std::to_string(event.transaction_id);
  rd_kafka_header_add(headers, "commit_lsn", -1, commit_lsn.data(),
                      static_cast<ssize_t>(commit_lsn.size()));
  rd_kafka_header_add(headers, "seq", -1, seq.data(), static_cast<ssize_t>(seq.size()));
  rd_kafka_header_add(headers, "xid", -1, xid.data(), static_cast<ssize_t>(xid.size()));
  return headers;
}

// Retries a transactional call librdkafka calls retriable (a coordinator moving, a timeout).
template <typename Call>
void call_with_retries(Call&& call, std::string_view step, const KafkaSinkOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.transaction_timeout;
  for (;;) {
    rd_kafka_error_t* error = call();
    if (!error) return;
    if (rd_kafka_error_is_retriable(error) && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_error_destroy(error);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    throw transaction_error(error, step, options.transactional_id);
  }
}

}  // namespace

KafkaSinkImpl::KafkaSinkImpl(const KafkaSinkOptions& options)
    : options_(with_defaults(options)), producer_(options_) {
  if (options_.exactly_once) start_transactions();
}

std::string KafkaSinkImpl::name() const {
  return "kafka://" + options_.bootstrap_servers;
}

void KafkaSinkImpl::start_transactions() {
  // Fences every older producer with this id and aborts its open transaction, so what the
  // checkpoint read below sees is final.
  const int timeout_ms = static_cast<int>(options_.transaction_timeout.count());
  call_with_retries([&] { return rd_kafka_init_transactions(producer_.handle(), timeout_ms); },
                    "init_transactions", options_);
  durable_ = read_checkpoint(options_);
}

std::optional<EventPosition> KafkaSinkImpl::checkpoint() {
  if (!options_.exactly_once) return std::nullopt;
  return durable_;
}

void KafkaSinkImpl::write(const ChangeBatch& batch) {
  submit(batch);
  while (!in_flight_.empty()) await_oldest();
}

void KafkaSinkImpl::submit(const ChangeBatch& batch) {
  // Empty, or in a group already durable (submitted again after a reset): nothing to send.
  if (batch.empty() || (durable_ && position_of(batch.events.back()) <= *durable_)) {
    in_flight_.push_back({durable_through_});
    return;
  }
  if (group_.events > 0 && group_is_full(batch)) finish_group();
  if (group_.events == 0) open_group();
  produce_batch(batch);
  group_.events += batch.size();
  ++group_.batches;
  group_.last = &batch.events.back();
  in_flight_.push_back({group_.id});
}

void KafkaSinkImpl::await_oldest() {
  if (in_flight_.empty()) return;
  // Groups become durable in order, so a batch not yet durable is in the open group.
  if (in_flight_.front().group > durable_through_) finish_group();
  in_flight_.pop_front();
}

void KafkaSinkImpl::reset() {
  abort_transaction_quietly();
  producer_.purge(options_.transaction_timeout);
  in_flight_.clear();
  group_ = OpenGroup{};
  group_.id = durable_through_ + 1;
}

bool KafkaSinkImpl::group_is_full(const ChangeBatch& next) const {
  return group_.events + next.size() > options_.group_max_events ||
         group_.bytes >= options_.group_max_bytes ||
         std::chrono::steady_clock::now() - group_.started >= options_.group_max_age;
}

void KafkaSinkImpl::open_group() {
  group_.started = std::chrono::steady_clock::now();
  if (!options_.exactly_once) return;
  call_with_retries([&] { return rd_kafka_begin_transaction(producer_.handle()); },
                    "begin_transaction", options_);
  group_.transaction = true;
}

void KafkaSinkImpl::finish_group() {
  try {
    await_deliveries();
    if (options_.exactly_once) commit_group();
  } catch (...) {
    abort_transaction_quietly();
    throw;
  }
  durable_ = position_of(*group_.last);
  durable_through_ = group_.id;
  stats_.batches += group_.batches;
  stats_.tombstones += group_.tombstones;
  const uint64_t next = group_.id + 1;
  group_ = OpenGroup{};
  group_.id = next;
}

void KafkaSinkImpl::commit_group() {
  // Produced after the group's messages were delivered: a checkpoint in the log means the
  // messages before it are there too, even on a broker that shows aborted transactions.
  const ChangeEvent& last = *group_.last;
  const std::string record = encode_checkpoint(position_of(last));
  rd_kafka_topic_t* topic = producer_.topic(options_.checkpoint_topic);
  const rd_kafka_resp_err_t err =
      producer_.produce(topic, options_.transactional_id, false, record, false, nullptr, last);
  if (err) throw delivery_error(last, options_.checkpoint_topic, err);
  commit_transaction();
  ++stats_.transactions;
  ++stats_.messages;
}

void KafkaSinkImpl::commit_transaction() {
  const int timeout_ms = static_cast<int>(options_.transaction_timeout.count());
  call_with_retries([&] { return rd_kafka_commit_transaction(producer_.handle(), timeout_ms); },
                    "commit_transaction", options_);
  group_.transaction = false;
  // Commit served the delivery reports of the transaction's messages.
  producer_.delivery().pending = 0;
}

void KafkaSinkImpl::abort_transaction_quietly() {
  // Best effort: the group was not acknowledged, and the next instance's init_transactions()
  // aborts whatever this one leaves open.
  if (!group_.transaction) return;
  group_.transaction = false;
  if (!producer_.fatal_error().empty()) return;
  const int timeout_ms = static_cast<int>(options_.transaction_timeout.count());
  if (rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_.handle(), timeout_ms)) {
    rd_kafka_error_destroy(error);
  }
}

void KafkaSinkImpl::produce_batch(const ChangeBatch& batch) {
  const bool metadata = static_cast<bool>(options_.render_begin);
  if (metadata && batch.first_in_transaction) {
    produce_transaction_event(options_.render_begin, batch, batch.events.front());
  }
  for (const ChangeEvent& event : batch.events) produce_event(event);
  if (metadata && batch.last_in_transaction) {
    produce_transaction_event(options_.render_end, batch, batch.events.back());
  }
}

void KafkaSinkImpl::produce_transaction_event(const KafkaBatchRenderer& render,
                                              const ChangeBatch& batch, const ChangeEvent& at) {
  value_.clear();
  render(value_, batch);
  if (value_.empty()) return;
  key_.clear();
  if (options_.render_transaction_key) options_.render_transaction_key(key_, batch);
  send(options_.transaction_topic, false, at);
}

void KafkaSinkImpl::produce_event(const ChangeEvent& event) {
  key_.clear();
  value_.clear();
  if (is_row_change(event.op) || event.op == Op::Truncate) {
    if (event.schema != topic_schema_ || event.table != topic_table_ || topic_.empty()) {
      topic_schema_ = event.schema;  // consecutive events are mostly of one table
      topic_table_ = event.table;
      topic_ = render_kafka_topic(options_.topic_template, event.schema, event.table);
    }
    if (event.op != Op::Truncate) options_.render_key(key_, event);
  } else if (event.op == Op::Message) {
    topic_ = options_.message_topic;
    topic_table_.clear();
    append_json_string(key_, event.message_prefix);
  } else {
    topic_ = options_.schema_topic;
    topic_table_.clear();
    key_ = "{\"schema\":";
    append_json_string(key_, event.schema);
    key_ += ",\"table\":";
    append_json_string(key_, event.table);
    key_ += '}';
  }
  options_.render_value(value_, event);
  send(topic_, false, event);
  if (!options_.tombstones) return;
  if (event.op == Op::Delete && !key_.empty()) {
    send(topic_, true, event);
  } else if (event.op == Op::Update && event.old) {
    // A key change: the old key's row is gone, so compaction may drop it.
    ChangeEvent as_delete = event;
    as_delete.op = Op::Delete;
    const std::string new_key = key_;
    key_.clear();
    options_.render_key(key_, as_delete);
    if (!key_.empty() && key_ != new_key) send(topic_, true, event);
  }
}

void KafkaSinkImpl::send(std::string_view topic, bool null_value, const ChangeEvent& event) {
  rd_kafka_headers_t* headers = position_headers(event);
  const rd_kafka_resp_err_t err = producer_.produce(producer_.topic(topic), key_, key_.empty(),
                                                    value_, null_value, headers, event);
  if (err) {
    rd_kafka_headers_destroy(headers);
    throw delivery_error(event, topic, err);
  }
  group_.bytes += key_.size() + (null_value ? 0 : value_.size());
  if (null_value) ++group_.tombstones;
}

void KafkaSinkImpl::await_deliveries() {
  const uint64_t delivered_before = producer_.delivery().delivered;
  producer_.wait_for_deliveries();
  if (auto failure = producer_.delivery().failure) {
    producer_.delivery().failure.reset();
    throw delivery_error(*failure->event, failure->topic, failure->error);
  }
  stats_.messages += producer_.delivery().delivered - delivered_before;
}

}  // namespace sabot::kafka
