// Example 04 against a real PostgreSQL and a real redis-server: the syncer streams changes into
// the cache while two cache-aside readers fill it from SQL and the workload changes rows — all at
// once. Afterwards every cached row equals its row in PostgreSQL or is absent (zero stale rows),
// every row key has its table's TTL, and every other key the sink or readers left (tombstones,
// leases, the applied position) expires too.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "cache_audit.hpp"
#include "cache_reader.hpp"
#include "cache_setup.hpp"
#include "cache_syncer.hpp"
#include "cache_workload.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "local_redis.hpp"
#include "pg_session.hpp"

using namespace sabot;
using namespace sabot::examples;
using namespace sabot::examples::cache;
using sabot::test::LocalPostgres;
using sabot::test::LocalRedis;

namespace {
class Example04Cache : public ::testing::TestWithParam<std::string> {};
}  // namespace

TEST_P(Example04Cache, ConcurrentReadersAndStreamLeaveNoStaleRowAndTtlsEverywhere) {
  const std::string plugin = GetParam();
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis;
  const std::string dsn = pg.fresh_database("ex04_" + plugin);
  {
    PgSession db(dsn);
    create_schema(db);
  }
  const std::string slot = "ex04_slot_" + plugin;
  auto init = test::run_cli({"init", "--dsn", dsn, "--slot", slot, "--publication", "ex04_pub",
                             "--plugin", plugin, "--tables", "ex04.users,ex04.products"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const RedisSinkOptions options = cache_options(redis.url());
  PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = slot;
  config.publication_name = "ex04_pub";
  config.plugin = plugin == "wal2json" ? Plugin::Wal2json : Plugin::Pgoutput;

  // Readers and workload run on their own threads; the syncer on this one, until the workload's
  // done message.
  std::atomic<bool> stop_readers{false};
  std::vector<ReaderStats> reader_stats(3);
  std::vector<std::thread> readers;
  for (size_t i = 0; i < reader_stats.size(); ++i) {
    readers.emplace_back([&, i] {
      // Two readers are slow between reading and filling, so changes often overtake their fills.
      CacheReader reader(dsn, options, static_cast<uint32_t>(100 + i),
                         std::chrono::microseconds(i == 0 ? 0 : 5000));
      reader.run_until(stop_readers);
      reader_stats[i] = reader.stats();
    });
  }
  WorkloadSummary summary;
  std::thread workload([&] {
    PgSession db(dsn);
    // A millisecond between transactions: the readers get a few seconds of changes to race.
    summary =
        run_workload(db, {.transactions = 1500, .seed = 5, .pause = std::chrono::milliseconds(1)});
  });
  CacheSyncer syncer(config, options);
  syncer.run(/*stop_at_done_message=*/true);
  workload.join();

  // Whatever the server holds beyond the done message, up to the end of the workload: none.
  PgSession db(dsn);
  config.end_lsn = db.current_wal_insert_lsn();
  CacheSyncer drain(config, options);
  drain.run(/*stop_at_done_message=*/false);
  EXPECT_EQ(drain.stats().rows_written + drain.stats().rows_deleted, 0u);

  stop_readers = true;
  for (std::thread& reader : readers) reader.join();

  RedisCacheClient cache(options);
  const AuditResult audit = audit_cache(db, cache);
  EXPECT_TRUE(audit.clean()) << describe(audit);
  EXPECT_GT(audit.cached_rows, 50u);
  for (const std::string& key : redis.keys("*")) {
    EXPECT_GT(redis.ttl_ms(key), 0) << key << " has no TTL";
  }

  // The run exercised every path: hits, fills, refreshes of cached rows, deletes, skips.
  const RedisSinkStats& s = syncer.stats();
  EXPECT_GT(s.rows_written, 100u);
  EXPECT_GT(s.rows_deleted, 10u);
  EXPECT_GT(s.not_cached, 10u);
  uint64_t hits = 0, fills = 0;
  for (const ReaderStats& r : reader_stats) {
    hits += r.hits;
    fills += r.fills;
  }
  EXPECT_GT(hits, 100u);
  EXPECT_GT(fills, 20u);
  EXPECT_EQ(summary.transactions, 1500);
}

INSTANTIATE_TEST_SUITE_P(Example04, Example04Cache, ::testing::Values("pgoutput", "wal2json"),
                         [](const auto& info) { return info.param; });
