// A Redis outage in the middle of a stream, with the real redis-server: the server is stopped while
// batches are in flight and started again (same port) once the runtime has retried a few times.
// The stream survives, and at the end Redis holds exactly what the table holds, in every mode:
// upsert (every row, no other key), invalidate and refresh (a cache filled before the stream:
// no stale row, no row that should still be cached missing), stream (every change exactly once,
// in order). The server keeps an fsynced append-only file here, as a Redis that must survive a
// restart does; without one a restart empties the cache (see README, "Redis outages").
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "files.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "local_redis.hpp"
#include "sabot/metrics.hpp"
#include "sabot/redis_sink.hpp"
#include "sabot/sabot.hpp"
#include "slot_polling.hpp"
#include "tcp_forwarder.hpp"

using namespace sabot;
using sabot::test::LocalPostgres;
using sabot::test::LocalRedis;

namespace {

constexpr int kRows = 2000;

// What an outage does: take Redis away, and later bring it (or what stands in for it) back.
struct Outage {
  std::function<void()> take_down;
  std::function<void()> bring_back;
};

// Forwards to the Redis sink; on the `outage_at`-th submit takes Redis down (batches are in
// flight then) and starts a thread that brings it back once the runtime has retried 3 times.
class OutageSink : public Sink {
 public:
  OutageSink(Sink& inner, Outage outage, StreamMetrics& metrics, int outage_at)
      : inner_(inner), outage_(std::move(outage)), metrics_(metrics), outage_at_(outage_at) {}
  ~OutageSink() override {
    if (restarter_.joinable()) restarter_.join();
  }
  void write(const ChangeBatch& batch) override { inner_.write(batch); }
  void submit(const ChangeBatch& batch) override {
    if (++submits_ == outage_at_) {
      outage_.take_down();
      restarter_ = std::thread([this] {
        test::eventually([&] { return metrics_.sink_retries.load() >= 3; },
                         std::chrono::seconds(60));
        // Set before bringing Redis back: the stream may deliver everything and end as soon as
        // the server answers, before bring_back() itself has returned.
        restart_begun = true;
        outage_.bring_back();
      });
    }
    inner_.submit(batch);
  }
  void await_oldest() override { inner_.await_oldest(); }
  size_t max_in_flight() const override { return inner_.max_in_flight(); }
  bool is_retryable(const std::exception& e) const override { return inner_.is_retryable(e); }
  void reset() override { inner_.reset(); }
  std::string name() const override { return inner_.name(); }

  // Redis was brought back by this sink's thread (not before the stream had retried 3 times).
  std::atomic<bool> restart_begun{false};

 private:
  Sink& inner_;
  Outage outage_;
  StreamMetrics& metrics_;
  int outage_at_;
  int submits_ = 0;
  std::thread restarter_;
};

// The table's rows (id → v) after the workload.
using Rows = std::map<std::string, std::string>;

// A table of kRows rows inserted before the slot exists (the cache can be filled from them), then
// a backlog: updates, deletes, inserts and moved keys, in transactions of 100 rows or fewer.
void make_table_and_backlog(const LocalPostgres& pg, const std::string& name) {
  pg.sql("CREATE TABLE " + name + " (id int PRIMARY KEY, v text NOT NULL)");
  pg.sql("INSERT INTO " + name + " SELECT g, 'initial ' || g FROM generate_series(1, " +
         std::to_string(kRows) + ") g");
  pg.sql(
      "DO $$ BEGIN CREATE PUBLICATION sabot_cdc FOR ALL TABLES; "
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  pg.sql("SELECT pg_create_logical_replication_slot('" + name + "_slot', 'pgoutput')");
  for (int first = 1; first <= kRows; first += 100) {
    const std::string range = std::to_string(first) + " AND " + std::to_string(first + 99);
    pg.sql("UPDATE " + name + " SET v = 'updated ' || id WHERE id BETWEEN " + range);
    pg.sql("UPDATE " + name + " SET v = v || ' again' WHERE id % 3 = 0 AND id BETWEEN " + range);
    pg.sql("DELETE FROM " + name + " WHERE id % 7 = 0 AND id BETWEEN " + range);
    pg.sql("INSERT INTO " + name + " SELECT g, 'new ' || g FROM generate_series(" +
           std::to_string(kRows + first) + ", " + std::to_string(kRows + first + 19) + ") g");
  }
  pg.sql("UPDATE " + name + " SET id = id + 100000 WHERE id % 11 = 0");
}

Rows table_rows(const LocalPostgres& pg, const std::string& name) {
  Rows rows;
  for (const auto& row : pg.query("SELECT id, v FROM " + name)) rows[*row[0]] = *row[1];
  return rows;
}

// Streams the backlog into `sink` through run_sink with `outage` at the 5th submit.
void stream_with_outage(const LocalPostgres& pg, const std::string& name, Sink& sink,
                        Outage outage) {
  auto metrics = std::make_shared<StreamMetrics>();
  PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = name + "_slot";
  config.tables = {"public." + name};
  config.end_lsn = pg.current_wal_insert_lsn();
  config.metrics = metrics;
  DeliveryOptions options;
  options.retry.initial_delay = std::chrono::milliseconds(20);
  options.retry.max_delay = std::chrono::milliseconds(200);
  OutageSink outage_sink(sink, std::move(outage), *metrics, 5);
  PostgresCdcConnector connector(config);
  run_sink(connector, outage_sink, options);
  connector.close();
  EXPECT_TRUE(outage_sink.restart_begun) << "the stream ended before Redis came back";
  EXPECT_GE(metrics->sink_retries.load(), 3u);
}

// Stops redis-server and starts it again on the same port.
void stream_with_outage(const LocalPostgres& pg, const std::string& name, Sink& sink,
                        LocalRedis& redis) {
  stream_with_outage(pg, name, sink, Outage{[&] { redis.stop(); }, [&] { redis.start(); }});
}

RedisSinkOptions options_for(const LocalRedis& redis, const std::string& prefix, RedisMode mode) {
  RedisSinkOptions options;
  options.url = redis.url();
  options.prefix = prefix;
  options.mode = mode;
  options.default_ttl = std::chrono::minutes(10);
  return options;
}

std::string row_key(const std::string& prefix, const std::string& table, const std::string& id) {
  return redis_row_key(prefix, "public", table, {id});
}

// The cached rows of the table (id → v) and whether every one has a TTL.
Rows cached_rows(LocalRedis& redis, const std::string& prefix, const std::string& table,
                 bool* all_have_ttl) {
  Rows cached;
  *all_have_ttl = true;
  const std::string key_prefix = prefix + ":public." + table + ":";
  for (const std::string& key : redis.keys(key_prefix + "*")) {
    cached[key.substr(key_prefix.size())] = redis.hash(key)["v"];
    if (redis.ttl_ms(key) <= 0) *all_have_ttl = false;
  }
  return cached;
}

// Fills the cache with the initial rows, as readers would have before the stream.
void fill_initial_rows(LocalRedis& redis, const std::string& prefix, const std::string& table) {
  for (int id = 1; id <= kRows; ++id) {
    const std::string key = row_key(prefix, table, std::to_string(id));
    redis.command(
        {"HSET", key, "_lsn", "", "id", std::to_string(id), "v", "initial " + std::to_string(id)});
    redis.command({"PEXPIRE", key, "600000"});
  }
}

}  // namespace

TEST(RedisOutage, UpsertCacheEqualsTheTableAfterARestartMidStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis(/*appendonly=*/true);
  make_table_and_backlog(pg, "ro_upsert");
  auto sink = make_redis_sink(options_for(redis, "ro", RedisMode::Upsert));
  stream_with_outage(pg, "ro_upsert", *sink, redis);

  bool all_have_ttl = false;
  const Rows cached = cached_rows(redis, "ro", "ro_upsert", &all_have_ttl);
  const Rows table = table_rows(pg, "ro_upsert");
  EXPECT_EQ(cached.size(), table.size()) << "no missing and no extra key";
  EXPECT_EQ(cached, table) << "no stale row";
  EXPECT_TRUE(all_have_ttl);
}

TEST(RedisOutage, InvalidatedCacheHoldsNoStaleRowAfterARestartMidStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis(/*appendonly=*/true);
  make_table_and_backlog(pg, "ro_inval");
  fill_initial_rows(redis, "ri", "ro_inval");
  auto sink = make_redis_sink(options_for(redis, "ri", RedisMode::Invalidate));
  stream_with_outage(pg, "ro_inval", *sink, redis);

  bool all_have_ttl = false;
  const Rows cached = cached_rows(redis, "ri", "ro_inval", &all_have_ttl);
  // Every row was changed by the backlog: each cached version is gone, nothing stale is left.
  EXPECT_TRUE(cached.empty()) << cached.size() << " keys left, e.g. " << cached.begin()->first;
}

TEST(RedisOutage, RefreshedCacheEqualsTheTableForEveryCachedRowAfterARestartMidStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis(/*appendonly=*/true);
  make_table_and_backlog(pg, "ro_refresh");
  fill_initial_rows(redis, "rr", "ro_refresh");
  auto sink = make_redis_sink(options_for(redis, "rr", RedisMode::Refresh));
  stream_with_outage(pg, "ro_refresh", *sink, redis);

  bool all_have_ttl = false;
  const Rows cached = cached_rows(redis, "rr", "ro_refresh", &all_have_ttl);
  // What should be cached: the initial rows that still exist under their key, at their value now
  // (rows inserted by the backlog were never cached; refresh does not add them).
  Rows expected;
  for (const auto& [id, v] : table_rows(pg, "ro_refresh")) {
    if (std::stoi(id) <= kRows) expected[id] = v;
  }
  EXPECT_EQ(cached.size(), expected.size()) << "no missing and no extra key";
  EXPECT_EQ(cached, expected) << "no stale row";
  EXPECT_TRUE(all_have_ttl) << "TTLs renewed";
}

TEST(RedisOutage, StreamModeHoldsEveryChangeExactlyOnceInOrderAfterARestartMidStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis(/*appendonly=*/true);
  make_table_and_backlog(pg, "ro_stream");
  // The truth: every change of the backlog, in order, from a plain consumer of a copy of the slot.
  pg.sql("SELECT pg_copy_logical_replication_slot('ro_stream_slot', 'ro_stream_truth')");
  std::vector<std::string> truth;
  {
    PostgresCdcConfig config;
    config.dsn = pg.dsn();
    config.slot_name = "ro_stream_truth";
    config.tables = {"public.ro_stream"};
    config.end_lsn = pg.current_wal_insert_lsn();
    PostgresCdcConnector connector(config);
    for (const ChangeBatch& batch : connector.stream_batches()) {
      for (const ChangeEvent& e : batch.events) {
        truth.push_back(std::to_string(e.commit_lsn.value()) + "-" + std::to_string(e.seq));
      }
    }
  }
  auto sink = make_redis_sink(options_for(redis, "rs", RedisMode::Stream));
  stream_with_outage(pg, "ro_stream", *sink, redis);

  std::vector<std::string> ids;
  const test::RedisValue entries = redis.command({"XRANGE", "rs:public.ro_stream", "-", "+"});
  for (const test::RedisValue& entry : entries.elements) ids.push_back(entry.elements.at(0).text);
  EXPECT_EQ(ids.size(), truth.size());
  EXPECT_EQ(ids, truth) << "every change once, in stream order";
}

// redis-server restarted WITHOUT persistence under a running `sabot-cdc stream --sink redis://`:
// the new server is empty (rows, fence keys and tombstones gone). The stream survives and applies
// the changes after the restart, so no cached row is ever stale, but rows not changed since are
// missing — until `sabot-cdc snapshot --tables` makes the running stream read the table again,
// after which the cache equals the table (README, "Redis outages").
TEST(RedisOutage, ARestartWithoutPersistenceLosesRowsUntilASnapshotReadsThemAgain) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis;  // save "" and appendonly no: a restart empties it
  pg.sql("CREATE TABLE ro_volatile (id int PRIMARY KEY, v text NOT NULL)");
  test::create_slot(pg, "ro_volatile_slot", {"--plugin", "pgoutput"});
  pg.sql("INSERT INTO ro_volatile SELECT g, 'v' || g FROM generate_series(1, 1000) g");
  const test::TempDir dir("redis-volatile");
  std::filesystem::create_directories(dir.path());
  const std::string log = dir.path() + "/log";
  const int pid = test::spawn_cli(
      {"stream", "--dsn", pg.dsn(), "--slot", "ro_volatile_slot", "--tables", "public.ro_volatile",
       "--quiet", "--sink", redis.url(), "--redis-prefix", "rv", "--redis-ttl", "600",
       "--sink-retry-max-ms", "100", "--snapshot-state", dir.path() + "/state"},
      log);
  bool all_have_ttl = false;
  const auto cache_is_table = [&] {
    return cached_rows(redis, "rv", "ro_volatile", &all_have_ttl) == table_rows(pg, "ro_volatile");
  };
  ASSERT_TRUE(test::eventually(cache_is_table, std::chrono::seconds(60)))
      << test::read_file_if_present(log);

  redis.stop();
  redis.start();
  EXPECT_TRUE(redis.keys("rv:*").empty()) << "a Redis without persistence restarts empty";
  pg.sql("UPDATE ro_volatile SET v = 'after ' || id WHERE id <= 100");
  pg.sql("DELETE FROM ro_volatile WHERE id BETWEEN 101 AND 150");
  pg.sql("INSERT INTO ro_volatile SELECT g, 'new ' || g FROM generate_series(1001, 1100) g");
  ASSERT_TRUE(test::eventually(
      [&] { return redis.hash(row_key("rv", "ro_volatile", "1100"))["v"] == "new 1100"; },
      std::chrono::seconds(60)))
      << test::read_file_if_present(log);

  // Changed since the restart: cached as they are now. Untouched since: missing, never stale.
  const Rows table = table_rows(pg, "ro_volatile");
  const Rows cached = cached_rows(redis, "rv", "ro_volatile", &all_have_ttl);
  size_t stale = 0;
  for (const auto& [id, v] : cached) stale += table.count(id) == 0 || table.at(id) != v;
  EXPECT_EQ(stale, 0u);
  EXPECT_EQ(cached.size(), 200u) << "rows 1-100 updated and 1001-1100 inserted after the restart";
  EXPECT_EQ(table.size() - cached.size(), 850u) << "rows 151-1000 are missing";
  EXPECT_NE(test::read_file_if_present(log).find("retrying"), std::string::npos)
      << "the sink noticed the lost connection and retried";

  const auto asked = test::run_cli({"snapshot", "--dsn", pg.dsn(), "--slot", "ro_volatile_slot",
                                    "--tables", "public.ro_volatile"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  EXPECT_TRUE(test::eventually(cache_is_table, std::chrono::seconds(60)))
      << "after the snapshot: 0 stale and 0 missing keys\n"
      << test::read_file_if_present(log);
  EXPECT_TRUE(all_have_ttl);
  EXPECT_FALSE(redis.keys("rv:~fence:public.ro_volatile:*").empty()) << "fences written again";
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_for_exit(pid, std::chrono::seconds(60)), std::optional<int>(0));
}

// A failover behind one address: the sink's URL names a proxy (the "same name") in front of a
// primary redis-server with a replica on another port. Mid-stream the primary goes away; once the
// stream has retried, the replica is promoted and the proxy sends connections to its port. The
// stream follows, and the cache on the promoted replica equals the table: every row, no other
// key, TTLs set. (The replica had caught up before the primary went: with asynchronous
// replication a failover can lose the last acknowledged writes, which the fences cannot bring
// back — README, "Redis outages".)
TEST(RedisOutage, AFailoverToAReplicaOnAnotherPortBehindTheSameAddressIsFollowed) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis primary;
  LocalRedis replica;
  replica.command({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
  test::TcpForwarder proxy(primary.port());
  make_table_and_backlog(pg, "ro_failover");
  RedisSinkOptions options = options_for(primary, "rf", RedisMode::Upsert);
  options.url = "redis://127.0.0.1:" + std::to_string(proxy.port());
  auto sink = make_redis_sink(options);
  const auto replica_caught_up = [&] {
    const std::string offset = "master_repl_offset:";
    const auto at = [&](LocalRedis& redis) {
      const std::string info = redis.command({"INFO", "replication"}).text;
      const size_t start = info.find(offset) + offset.size();
      return info.substr(start, info.find('\r', start) - start);
    };
    return at(primary) == at(replica) &&
           replica.command({"INFO", "replication"}).text.find("master_link_status:up") !=
               std::string::npos;
  };
  stream_with_outage(pg, "ro_failover", *sink,
                     Outage{[&] {
                              ASSERT_TRUE(test::eventually(replica_caught_up))
                                  << "the replica never caught up";
                              primary.stop();
                            },
                            [&] {
                              replica.command({"REPLICAOF", "NO", "ONE"});
                              proxy.retarget(replica.port());
                            }});

  bool all_have_ttl = false;
  const Rows cached = cached_rows(replica, "rf", "ro_failover", &all_have_ttl);
  const Rows table = table_rows(pg, "ro_failover");
  EXPECT_EQ(cached.size(), table.size()) << "no missing and no extra key";
  EXPECT_EQ(cached, table) << "no stale row";
  EXPECT_TRUE(all_have_ttl);
}
