#include "sinks/redis/redis_options.hpp"

#include <fmt/format.h>

#include <charconv>

#include "sabot/error.hpp"
#include "sinks/redis/redis_keys.hpp"

namespace sabot {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "PATTERN=VALUE" split at the last '=' (a quoted pattern may hold '=' but a value never does).
std::pair<std::string_view, std::string_view> split_assignment(std::string_view spec) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string_view::npos) return {{}, trim(spec)};
  return {trim(spec.substr(0, eq)), trim(spec.substr(eq + 1))};
}

}  // namespace

RedisMode parse_redis_mode(std::string_view text) {
  if (text == "invalidate") return RedisMode::Invalidate;
  if (text == "upsert") return RedisMode::Upsert;
  if (text == "refresh") return RedisMode::Refresh;
  if (text == "stream") return RedisMode::Stream;
  throw CdcError(
      ErrorKind::Config,
      fmt::format("unknown Redis mode '{}': use invalidate, upsert, refresh or stream", text));
}

RedisRowFormat parse_redis_row_format(std::string_view text) {
  if (text == "hash") return RedisRowFormat::Hash;
  if (text == "json") return RedisRowFormat::Json;
  throw CdcError(ErrorKind::Config,
                 fmt::format("unknown Redis row format '{}': use hash or json", text));
}

void add_redis_ttl_spec(RedisSinkOptions& options, std::string_view spec) {
  const auto [pattern, seconds_text] = split_assignment(spec);
  long long seconds = -1;
  const auto [end, ec] =
      std::from_chars(seconds_text.data(), seconds_text.data() + seconds_text.size(), seconds);
  if (seconds_text.empty() || ec != std::errc() ||
      end != seconds_text.data() + seconds_text.size() || seconds < 0) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("TTL '{}' must be SECONDS or TABLE_PATTERN=SECONDS, e.g. 300 or "
                               "public.orders=60 (0 = no expiry)",
                               spec));
  }
  const std::chrono::milliseconds ttl = std::chrono::seconds(seconds);
  if (pattern.empty()) {
    options.default_ttl = ttl;
  } else {
    TablePattern::parse(pattern);  // reject a bad pattern now, naming it
    options.table_ttl.emplace_back(std::string(pattern), ttl);
  }
}

void add_redis_key_columns_spec(RedisSinkOptions& options, std::string_view spec) {
  const auto [pattern, columns_text] = split_assignment(spec);
  std::vector<std::string> columns;
  std::string_view rest = columns_text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view column = trim(rest.substr(0, comma));
    if (!column.empty()) columns.emplace_back(column);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (pattern.empty() || columns.empty()) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("key columns '{}' must be TABLE_PATTERN=COLUMN[,COLUMN...], e.g. "
                               "public.order_items=order_id,line_no",
                               spec));
  }
  TablePattern::parse(pattern);
  options.key_columns.emplace_back(std::string(pattern), std::move(columns));
}

}  // namespace sabot

namespace sabot::sinks::redis {

TableSettings::TableSettings(const RedisSinkOptions& options) : default_ttl_(options.default_ttl) {
  for (const auto& [pattern, ttl] : options.table_ttl) {
    ttl_rules_.emplace_back(TablePattern::parse(pattern), ttl);
  }
  for (const auto& [pattern, columns] : options.key_columns) {
    key_rules_.emplace_back(TablePattern::parse(pattern), columns);
  }
}

std::chrono::milliseconds TableSettings::ttl(std::string_view schema, std::string_view table) {
  const std::string name = qualified_table(schema, table);
  if (auto it = ttl_cache_.find(name); it != ttl_cache_.end()) return it->second;
  std::chrono::milliseconds ttl = default_ttl_;
  for (const auto& [pattern, rule_ttl] : ttl_rules_) {
    if (pattern.matches(schema, table)) {
      ttl = rule_ttl;
      break;
    }
  }
  ttl_cache_.emplace(name, ttl);
  return ttl;
}

const std::vector<std::string>* TableSettings::key_columns(std::string_view schema,
                                                           std::string_view table) {
  const std::string name = qualified_table(schema, table);
  if (auto it = key_cache_.find(name); it != key_cache_.end()) return it->second;
  const std::vector<std::string>* columns = nullptr;
  for (const auto& [pattern, rule_columns] : key_rules_) {
    if (pattern.matches(schema, table)) {
      columns = &rule_columns;
      break;
    }
  }
  key_cache_.emplace(name, columns);
  return columns;
}

}  // namespace sabot::sinks::redis
