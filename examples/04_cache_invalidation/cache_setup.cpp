#include "cache_setup.hpp"

namespace sabot::examples::cache {

const std::vector<CachedTable>& cached_tables() {
  static const std::vector<CachedTable> tables = {
      {"users", {"id", "name", "email", "tier", "updated_at"}, 250, std::chrono::seconds(60)},
      {"products", {"id", "name", "price", "stock", "description"}, 120, std::chrono::seconds(30)},
  };
  return tables;
}

RedisSinkOptions cache_options(const std::string& redis_url) {
  RedisSinkOptions options;
  options.url = redis_url;
  options.mode = RedisMode::Refresh;
  options.format = RedisRowFormat::Hash;
  options.prefix = "ex04";
  for (const CachedTable& table : cached_tables()) {
    options.table_ttl.emplace_back(std::string(kSchema) + "." + table.name, table.ttl);
  }
  options.fence_ttl = std::chrono::minutes(2);
  return options;
}

}  // namespace sabot::examples::cache
