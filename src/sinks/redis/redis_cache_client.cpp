// RedisCacheClient: cache-aside reads with version-checked fills (protocol in
// include/sabot/redis_sink.hpp and src/sinks/redis/redis_scripts.hpp).

#include <fmt/format.h>

#include "sabot/error.hpp"
#include "sabot/redis_sink.hpp"
#include "sinks/redis/redis_connection.hpp"
#include "sinks/redis/redis_keys.hpp"
#include "sinks/redis/redis_options.hpp"
#include "sinks/redis/redis_scripts.hpp"

namespace sabot {

using sinks::redis::RedisConnection;
using sinks::redis::RedisReply;

struct RedisCacheClient::Impl {
  explicit Impl(const RedisSinkOptions& options)
      : options(options), url(sinks::redis::parse_redis_url(options.url)), tables(options) {}

  RedisConnection& connection() {
    if (!conn || conn->is_broken()) {
      conn.reset();
      conn = std::make_unique<RedisConnection>(url, options.timeout);
    }
    return *conn;
  }

  RedisReply checked(RedisReply reply, std::string_view what) const {
    if (reply.is_error()) {
      throw CdcError(ErrorKind::Consumer,
                     fmt::format("Redis at {}: {} failed: {}", url.text, what, reply.text));
    }
    return reply;
  }

  RedisSinkOptions options;
  sinks::redis::RedisUrl url;
  sinks::redis::TableSettings tables;
  std::unique_ptr<RedisConnection> conn;
  std::string fill_sha;
};

RedisCacheClient::RedisCacheClient(const RedisSinkOptions& options)
    : impl_(std::make_unique<Impl>(options)) {
  if (options.format != RedisRowFormat::Hash) {
    throw CdcError(ErrorKind::Config, "RedisCacheClient reads the hash row format only");
  }
  impl_->connection();
}

RedisCacheClient::~RedisCacheClient() = default;

std::optional<RedisCacheClient::Row> RedisCacheClient::get_cached(
    std::string_view schema, std::string_view table, const std::vector<std::string>& key_values) {
  const std::string key = redis_row_key(impl_->options.prefix, schema, table, key_values);
  const RedisReply reply = impl_->checked(impl_->connection().command({"HGETALL", key}), "HGETALL");
  if (reply.elements.empty()) return std::nullopt;
  Row row;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    if (reply.elements[i].text == "_lsn") continue;
    row.emplace(reply.elements[i].text, reply.elements[i + 1].text);
  }
  return row;
}

std::vector<RedisCacheClient::CachedEntry> RedisCacheClient::scan(std::string_view schema,
                                                                  std::string_view table) {
  using namespace sinks::redis;
  const std::string qualified = qualified_table(schema, table);
  const std::string key_start = row_key(impl_->options.prefix, qualified, "");
  std::vector<CachedEntry> entries;
  std::string cursor = "0";
  do {
    const RedisReply page =
        impl_->checked(impl_->connection().command(
                           {"SCAN", cursor, "MATCH",
                            row_key_pattern(impl_->options.prefix, qualified), "COUNT", "1000"}),
                       "SCAN");
    if (page.elements.size() != 2) {  // SCAN answers [cursor, [keys...]]
      throw CdcError(ErrorKind::Consumer,
                     fmt::format("Redis at {}: SCAN answered {} elements where [cursor, keys] was "
                                 "expected",
                                 impl_->url.text, page.elements.size()));
    }
    cursor = page.elements[0].text;
    const std::vector<RedisReply>& keys = page.elements[1].elements;
    for (const RedisReply& key : keys) {
      impl_->connection().append({"HGETALL", key.text});
      impl_->connection().append({"PTTL", key.text});
    }
    const std::vector<RedisReply> replies = impl_->connection().read_replies(2 * keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      const RedisReply& fields = impl_->checked(replies[2 * i], "HGETALL");
      if (fields.elements.empty()) continue;  // expired or deleted since SCAN saw it
      CachedEntry entry;
      // MATCH keeps to keys with this prefix; a shorter one would be a broken reply.
      if (!keys[i].text.starts_with(key_start)) continue;
      entry.key_values = split_key_suffix(std::string_view(keys[i].text).substr(key_start.size()));
      for (size_t f = 0; f + 1 < fields.elements.size(); f += 2) {
        if (fields.elements[f].text != "_lsn") {
          entry.row.emplace(fields.elements[f].text, fields.elements[f + 1].text);
        }
      }
      entry.ttl = std::chrono::milliseconds(replies[2 * i + 1].integer);
      entries.push_back(std::move(entry));
    }
  } while (cursor != "0");
  return entries;
}

RedisCacheClient::Lookup RedisCacheClient::get(std::string_view schema, std::string_view table,
                                               const std::vector<std::string>& key_values,
                                               const Loader& load) {
  if (auto row = get_cached(schema, table, key_values))
    return {std::move(row), Source::Cache, false};

  Lookup lookup;
  std::optional<LoadedRow> loaded = load();
  if (!loaded) return lookup;  // Missing
  lookup.row = loaded->row;
  lookup.source = Source::Database;

  using namespace sinks::redis;
  const std::string qualified = qualified_table(schema, table);
  const std::string suffix = key_suffix(key_values);
  const auto ttl = impl_->tables.ttl(std::string(schema), std::string(table));
  std::vector<std::string> args = {"3",
                                   row_key(impl_->options.prefix, qualified, suffix),
                                   fence_key(impl_->options.prefix, qualified, suffix),
                                   truncated_key(impl_->options.prefix, qualified),
                                   std::to_string(loaded->xmin),
                                   std::to_string(ttl.count())};
  for (auto& [name, value] : loaded->row) args.insert(args.end(), {name, value});
  const RedisReply filled = impl_->checked(
      impl_->connection().eval(kFillScript, impl_->fill_sha, args), "filling the cache");
  lookup.filled = filled.integer == 1;
  return lookup;
}

}  // namespace sabot
