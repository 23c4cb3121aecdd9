// RedisCacheClient: cache-aside reads with leased fills (protocol in include/sabot/redis_sink.hpp
// and src/sinks/redis/redis_scripts.hpp).
#include <random>

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

  // A random token, so a lease taken by another reader is never mistaken for ours.
  std::string new_token() { return fmt::format("{:016x}{:016x}", random(), random()); }

  RedisSinkOptions options;
  sinks::redis::RedisUrl url;
  sinks::redis::TableSettings tables;
  std::unique_ptr<RedisConnection> conn;
  std::string begin_sha;
  std::string complete_sha;
  std::mt19937_64 random{std::random_device{}()};
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

RedisCacheClient::Lookup RedisCacheClient::get(std::string_view schema, std::string_view table,
                                               const std::vector<std::string>& key_values,
                                               const Loader& load) {
  if (auto row = get_cached(schema, table, key_values)) return {std::move(row), Source::Cache, false};

  using namespace sinks::redis;
  const std::string qualified = qualified_table(schema, table);
  const std::string suffix = key_suffix(key_values);
  const std::string row = row_key(impl_->options.prefix, qualified, suffix);
  const std::string lease = lease_key(impl_->options.prefix, qualified, suffix);
  const std::string token = impl_->new_token();
  const RedisReply begin = impl_->checked(
      impl_->connection().eval(kBeginFillScript, impl_->begin_sha,
                               {"3", row, lease, applied_key(impl_->options.prefix), token,
                                std::to_string(lease_ttl_.count())}),
      "taking a fill lease");
  const bool leased = begin.elements.size() == 2 && begin.elements[0].text == "lease";
  if (!leased) {
    // Filled by someone else a moment ago.
    if (auto cached = get_cached(schema, table, key_values)) {
      return {std::move(cached), Source::Cache, false};
    }
  }

  Lookup lookup;
  lookup.row = load();
  lookup.source = lookup.row ? Source::Database : Source::Missing;
  if (!leased) return lookup;
  const std::string fence = begin.elements[1].text;
  const auto ttl = impl_->tables.ttl(std::string(schema), std::string(table));
  std::vector<std::string> args = {"2", row, lease, token, fence, std::to_string(ttl.count())};
  if (lookup.row) {
    for (const auto& [name, value] : *lookup.row) args.insert(args.end(), {name, value});
  }
  const RedisReply done =
      impl_->checked(impl_->connection().eval(kCompleteFillScript, impl_->complete_sha, args),
                     "filling the cache");
  lookup.filled = lookup.row && done.integer == 1;
  return lookup;
}

}  // namespace sabot
