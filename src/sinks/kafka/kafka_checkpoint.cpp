#include "sinks/kafka/kafka_checkpoint.hpp"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <vector>

#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"
#include "sinks/kafka/kafka_producer.hpp"

namespace sabot::kafka {

namespace {

using Clock = std::chrono::steady_clock;

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using ConsumerHandle = std::unique_ptr<rd_kafka_t, ConsumerDeleter>;

[[noreturn]] void read_failed(const KafkaSinkOptions& options, const std::string& why) {
  throw CdcError(ErrorKind::Consumer,
                 fmt::format("cannot read the exactly-once checkpoint from Kafka topic {}: {}",
                             options.checkpoint_topic, why));
}

ConsumerHandle make_consumer(const KafkaSinkOptions& options) {
  rd_kafka_conf_t* conf = make_conf(options, "consumer");
  try {
    set_conf(conf, "group.id", "sabot-cdc-checkpoint-" + options.transactional_id, "consumer");
    set_conf(conf, "isolation.level", "read_committed", "consumer");
    set_conf(conf, "enable.auto.commit", "false", "consumer");
    set_conf(conf, "enable.partition.eof", "true", "consumer");
    set_conf(conf, "allow.auto.create.topics", "false", "consumer");
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    read_failed(options, errstr);
  }
  return ConsumerHandle(rk);
}

// The checkpoint topic's partitions; empty if the topic does not exist yet.
std::vector<int32_t> partitions_of(rd_kafka_t* rk, const KafkaSinkOptions& options) {
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, options.checkpoint_topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(
      rk, 0, topic, &metadata, static_cast<int>(options.transaction_timeout.count()));
  rd_kafka_topic_destroy(topic);
  if (err) read_failed(options, rd_kafka_err2str(err));
  std::vector<int32_t> partitions;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
      partitions.push_back(metadata->topics[0].partitions[i].id);
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return partitions;
}

// Assigns every non-empty partition from its start; returns how many were assigned.
size_t assign_non_empty(rd_kafka_t* rk, const KafkaSinkOptions& options,
                        const std::vector<int32_t>& partitions) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t partition : partitions) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk, options.checkpoint_topic.c_str(), partition, &low, &high,
        static_cast<int>(options.transaction_timeout.count()));
    if (err) {
      rd_kafka_topic_partition_list_destroy(list);
      read_failed(options, rd_kafka_err2str(err));
    }
    if (high > low) {
      rd_kafka_topic_partition_list_add(list, options.checkpoint_topic.c_str(), partition)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  const size_t assigned = static_cast<size_t>(list->cnt);
  const rd_kafka_resp_err_t err = assigned ? rd_kafka_assign(rk, list) : RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_topic_partition_list_destroy(list);
  if (err) read_failed(options, rd_kafka_err2str(err));
  return assigned;
}

void take_record(const KafkaSinkOptions& options, const rd_kafka_message_t* message,
                 std::optional<EventPosition>& newest) {
  const std::string_view key(static_cast<const char*>(message->key), message->key_len);
  if (key != options.transactional_id) return;  // another instance's checkpoint
  const std::string_view value(static_cast<const char*>(message->payload), message->len);
  const std::optional<EventPosition> position = parse_event_position(value);
  if (!position) {
    read_failed(options, fmt::format("the record at partition {} offset {} is not a checkpoint: {}",
                                     message->partition, message->offset, value));
  }
  if (!newest || *newest < *position) newest = position;
}

}  // namespace

std::string encode_checkpoint(const EventPosition& position) {
  return fmt::format("{{\"commit_lsn\":\"{}\",\"seq\":{}}}", position.commit_lsn.to_string(),
                     position.seq);
}

std::optional<EventPosition> read_checkpoint(const KafkaSinkOptions& options) {
  ConsumerHandle consumer = make_consumer(options);
  const std::vector<int32_t> partitions = partitions_of(consumer.get(), options);
  size_t open_partitions = assign_non_empty(consumer.get(), options, partitions);
  std::optional<EventPosition> newest;
  const Clock::time_point deadline = Clock::now() + options.transaction_timeout;
  while (open_partitions > 0) {
    if (Clock::now() > deadline) read_failed(options, "timed out before the end of the topic");
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 100);
    if (!message) continue;
    const rd_kafka_resp_err_t err = message->err;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      --open_partitions;
    } else if (err) {
      const std::string why = rd_kafka_message_errstr(message);
      rd_kafka_message_destroy(message);
      read_failed(options, why);
    } else {
      try {
        take_record(options, message, newest);
      } catch (...) {
        rd_kafka_message_destroy(message);
        throw;
      }
    }
    rd_kafka_message_destroy(message);
  }
  return newest;
}

}  // namespace sabot::kafka
