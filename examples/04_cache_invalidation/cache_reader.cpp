#include "cache_reader.hpp"

#include <fmt/format.h>

#include <thread>

#include "cache_setup.hpp"
#include "plural.hpp"

namespace sabot::examples::cache {

namespace {

// The row as the cache holds it (text forms, NULL columns left out), and the xmin of the row
// version read: the cache stores it only if that is the version the change stream applied last.
std::optional<RedisCacheClient::LoadedRow> load_row(PgSession& db, const CachedTable& table,
                                                    int id) {
  std::string columns;
  for (const std::string& c : table.columns) columns += ", " + c;
  const auto rows = db.query(
      fmt::format("SELECT xmin{} FROM {}.{} WHERE id = {}", columns, kSchema, table.name, id));
  if (rows.empty()) return std::nullopt;
  RedisCacheClient::LoadedRow loaded;
  loaded.xmin = static_cast<uint32_t>(std::stoul(*rows[0][0]));
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (rows[0][i + 1]) loaded.row.emplace(table.columns[i], *rows[0][i + 1]);
  }
  return loaded;
}

}  // namespace

CacheReader::CacheReader(const std::string& dsn, const RedisSinkOptions& options, uint32_t seed,
                         std::chrono::microseconds slow_down)
    : db_(dsn), cache_(options), random_(seed), slow_down_(slow_down) {}

void CacheReader::lookup_random_row() {
  const auto& tables = cached_tables();
  const CachedTable& table =
      tables[std::uniform_int_distribution<size_t>(0, tables.size() - 1)(random_)];
  const int id = std::uniform_int_distribution<int>(1, table.max_id)(random_);
  const RedisCacheClient::Lookup lookup =
      cache_.get(kSchema, table.name, {std::to_string(id)}, [&] {
        auto loaded = load_row(db_, table, id);
        if (slow_down_.count() > 0) std::this_thread::sleep_for(slow_down_);
        return loaded;
      });
  ++stats_.lookups;
  switch (lookup.source) {
    case RedisCacheClient::Source::Cache:
      ++stats_.hits;
      break;
    case RedisCacheClient::Source::Database:
      ++(lookup.filled ? stats_.fills : stats_.fills_refused);
      break;
    case RedisCacheClient::Source::Missing:
      ++stats_.missing;
      break;
  }
}

void CacheReader::run_until(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) lookup_random_row();
}

std::string describe(const ReaderStats& s) {
  return fmt::format(
      "{} {}: {} {} ({:.0f} %), {} filled from PostgreSQL, {} {} refused (not the version the "
      "stream applied last), {} {} without a row",
      s.lookups, plural(s.lookups, "lookup", "lookups"), s.hits, plural(s.hits, "hit", "hits"),
      s.lookups ? 100.0 * static_cast<double>(s.hits) / static_cast<double>(s.lookups) : 0.0,
      s.fills, s.fills_refused, plural(s.fills_refused, "fill", "fills"), s.missing,
      plural(s.missing, "id", "ids"));
}

}  // namespace sabot::examples::cache
