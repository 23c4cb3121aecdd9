// The stream command's --kafka-* flags (README "Kafka") and the KafkaSinkOptions they make.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "sabot/kafka_sink.hpp"

namespace sabot::cli {

struct KafkaFlags {
  std::string topic = "sabot.{schema}.{table}";
  std::string message_topic = "sabot.messages";
  std::string schema_topic = "sabot.schema_changes";
  std::string transaction_topic = "sabot.transaction";
  bool tombstones = false;
  std::vector<std::string> settings;  // NAME=VALUE
  int delivery_timeout_ms = 300000;
  bool exactly_once = false;
  std::string transactional_id;  // default: sabot-cdc-SLOT
  std::string checkpoint_topic = "sabot.checkpoints";
  int group_max_events = 10000;
  int group_max_bytes = 16 * 1024 * 1024;
  int group_max_ms = 100;

  // Registers the flags on `cmd`; each needs `sink` (--sink).
  void add_to(CLI::App& cmd, CLI::Option* sink);
  // Throws CdcError{Config} for a bad URL or setting.
  KafkaSinkOptions to_options(const std::string& sink_url, const std::string& slot) const;

 private:
  void add_group_flags(CLI::App& cmd, CLI::Option* sink);
};

bool is_kafka_url(const std::string& url);

}  // namespace sabot::cli
