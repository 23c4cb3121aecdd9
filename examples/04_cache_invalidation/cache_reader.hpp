// CacheReader: an application reading through the cache (cache-aside). It looks rows up by id;
// on a miss it loads the row and its xmin with SQL, and RedisCacheClient stores it only if that
// row version is the one the change stream applied last (so a reader that read just before or
// during a change never caches the old row).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <sabot/redis_sink.hpp>
#include <string>

#include "pg_session.hpp"

namespace sabot::examples::cache {

struct ReaderStats {
  uint64_t lookups = 0;
  uint64_t hits = 0;
  uint64_t fills = 0;          // loaded from PostgreSQL and stored in the cache
  uint64_t fills_refused = 0;  // loaded, but not the version the stream applied last: not stored
  uint64_t missing = 0;        // no such row
};

class CacheReader {
 public:
  // slow_down: time spent between reading a row from PostgreSQL and offering it to the cache, as a
  // busy application server would; it widens the window in which a change can overtake a fill.
  CacheReader(const std::string& dsn, const RedisSinkOptions& options, uint32_t seed,
              std::chrono::microseconds slow_down = std::chrono::microseconds(0));

  // One lookup of a random id of a random cached table.
  void lookup_random_row();
  // Looks rows up until `stop` is set.
  void run_until(const std::atomic<bool>& stop);
  const ReaderStats& stats() const { return stats_; }

 private:
  PgSession db_;
  RedisCacheClient cache_;
  std::mt19937 random_;
  std::chrono::microseconds slow_down_;
  ReaderStats stats_;
};

std::string describe(const ReaderStats& stats);

}  // namespace sabot::examples::cache
