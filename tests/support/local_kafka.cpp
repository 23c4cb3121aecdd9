#include "local_kafka.hpp"

#include <simdjson.h>

#include <sstream>
#include <stdexcept>

#include "local_postgres.hpp"  // run_command, shell_quote

namespace sabot::test {

LocalKafka::LocalKafka(int brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof(errstr));
  host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!host_) throw std::runtime_error(std::string("rd_kafka_new: ") + errstr);
  mock_ = rd_kafka_mock_cluster_new(host_, brokers);
  if (!mock_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(mock_);
}

LocalKafka::~LocalKafka() {
  if (mock_) rd_kafka_mock_cluster_destroy(mock_);
  if (host_) rd_kafka_destroy(host_);
}

namespace {

std::optional<std::string> text_or_null(simdjson::dom::element e) {
  if (e.is_null()) return std::nullopt;
  return std::string(std::string_view(e.get_string()));
}

KafkaRecord parse_record(simdjson::dom::parser& parser, const std::string& line) {
  simdjson::dom::element doc = parser.parse(line);
  KafkaRecord r;
  r.topic = std::string(std::string_view(doc["topic"].get_string()));
  r.partition = static_cast<int>(int64_t(doc["partition"]));
  r.partitions = static_cast<int>(int64_t(doc["partitions"]));
  r.offset = int64_t(doc["offset"]);
  r.key = text_or_null(doc["key"]);
  r.value = text_or_null(doc["value"]);
  for (auto [name, value] : simdjson::dom::object(doc["headers"])) {
    r.headers[std::string(name)] = text_or_null(value).value_or("");
  }
  return r;
}

}  // namespace

std::vector<KafkaRecord> read_kafka(const std::string& bootstrap,
                                    const std::vector<std::string>& topics,
                                    const std::string& isolation) {
  std::string command =
      "/usr/bin/python3 " +
      shell_quote(std::string(SABOT_SOURCE_DIR) + "/tests/support/kafka_read.py") + " " +
      shell_quote(bootstrap) + " " + shell_quote(isolation);
  for (const std::string& t : topics) command += " " + shell_quote(t);
  CommandResult r = run_command(command);
  if (r.exit_code != 0) throw std::runtime_error("kafka_read.py failed:\n" + r.out + r.err);
  std::vector<KafkaRecord> records;
  simdjson::dom::parser parser;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) records.push_back(parse_record(parser, line));
  }
  return records;
}

uint32_t kafka_murmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ length;
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  const size_t whole = data.size() / 4 * 4;
  for (size_t i = 0; i < whole; i += 4) {
    uint32_t k = byte(i) | byte(i + 1) << 8 | byte(i + 2) << 16 | byte(i + 3) << 24;
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (data.size() % 4) {
    case 3:
      h ^= byte(whole + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(whole + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(whole);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

int java_default_partition(std::string_view key, int partitions) {
  return static_cast<int>((kafka_murmur2(key) & 0x7fffffff) % static_cast<uint32_t>(partitions));
}

}  // namespace sabot::test
