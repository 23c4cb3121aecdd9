// Per-table settings of the Redis sink and cache client: TTL and key columns, resolved from the
// options' table patterns once per table and remembered.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sabot/redis_sink.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::sinks::redis {

class TableSettings {
 public:
  // Parses every pattern now: a bad one is a CdcError{Config} before anything is written.
  explicit TableSettings(const RedisSinkOptions& options);

  std::chrono::milliseconds ttl(std::string_view schema, std::string_view table);
  // The configured key columns of the table, or nullptr when none are configured.
  const std::vector<std::string>* key_columns(std::string_view schema, std::string_view table);

 private:
  std::chrono::milliseconds default_ttl_;
  std::vector<std::pair<TablePattern, std::chrono::milliseconds>> ttl_rules_;
  std::vector<std::pair<TablePattern, std::vector<std::string>>> key_rules_;
  std::unordered_map<std::string, std::chrono::milliseconds> ttl_cache_;
  std::unordered_map<std::string, const std::vector<std::string>*> key_cache_;
};

}  // namespace sabot::sinks::redis
