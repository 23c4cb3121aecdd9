// What example 04 caches, and how: the tables, their columns, key spaces and TTLs, and the Redis
// sink options every program of the example shares (syncer, reader, audit).
#pragma once

#include <chrono>
#include <sabot/redis_sink.hpp>
#include <string>
#include <vector>

namespace sabot::examples::cache {

// The example's own schema (see example_schema.hpp); Redis keys name it: ex04:ex04.users:17.
inline constexpr const char* kSchema = "ex04";

struct CachedTable {
  std::string name;                  // in schema kSchema
  std::vector<std::string> columns;  // in SELECT order; the first is the key ("id")
  int max_id;                        // readers look up ids 1..max_id (some do not exist)
  std::chrono::seconds ttl;
};

const std::vector<CachedTable>& cached_tables();

// Refresh mode ("smart update": only cached keys are written; deletes remove keys), hash rows
// under prefix "ex04", each table's TTL, fence keys (tombstones) kept two minutes.
RedisSinkOptions cache_options(const std::string& redis_url);

}  // namespace sabot::examples::cache
