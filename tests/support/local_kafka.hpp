// Test support: a Kafka-protocol cluster in the test process (librdkafka's mock cluster, 3
// brokers on 127.0.0.1 at kernel-picked ports) that a sabot-cdc child process reaches over TCP,
// with the mock's fault injection at hand; an independent reader (Debian's python3
// confluent_kafka); and the Java client's default partitioner, computed here, not by librdkafka.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sabot::test {

class LocalKafka {
 public:
  explicit LocalKafka(int brokers = 3);  // throws std::runtime_error if the mock cannot start
  ~LocalKafka();
  LocalKafka(const LocalKafka&) = delete;
  LocalKafka& operator=(const LocalKafka&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  std::string url() const { return "kafka://" + bootstrap_; }
  rd_kafka_mock_cluster_t* mock() const { return mock_; }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstrap_;
};

struct KafkaRecord {
  std::string topic;
  int partition = 0;
  int partitions = 0;  // of the topic
  int64_t offset = 0;
  std::optional<std::string> key, value;
  std::map<std::string, std::string> headers;
};

// Every record of `topics` (partition by partition, in offset order), read by
// tests/support/kafka_read.py. Throws std::runtime_error with the reader's output on failure.
std::vector<KafkaRecord> read_kafka(const std::string& bootstrap,
                                    const std::vector<std::string>& topics,
                                    const std::string& isolation = "read_committed");

// Kafka's murmur2 (the Java client's Utils.murmur2) and the partition its default partitioner
// picks for a keyed record: (murmur2(key) & 0x7fffffff) % partitions.
uint32_t kafka_murmur2(std::string_view data);
int java_default_partition(std::string_view key, int partitions);

}  // namespace sabot::test
