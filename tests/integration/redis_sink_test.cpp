// The Redis sink against a real redis-server (scripts/redis-local) and, where a stream is needed,
// a real PostgreSQL: modes, the LSN fence, tombstones, streams, truncate, cache-aside fills,
// the CLI's --sink flags, and what happens when Redis is gone.
#include "sabot/redis_sink.hpp"

#include <gtest/gtest.h>

#include "cdc_error_checks.hpp"
#include "files.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "local_redis.hpp"
#include "sabot/sabot.hpp"
#include "sinks/redis/redis_connection.hpp"
#include "slot_polling.hpp"

using namespace sabot;
using sabot::test::LocalPostgres;
using sabot::test::LocalRedis;
using sabot::test::RedisValue;

namespace {

LocalRedis& shared_redis() {
  static LocalRedis redis;
  return redis;
}

RedisSinkOptions options_for(LocalRedis& redis, const std::string& prefix, RedisMode mode) {
  RedisSinkOptions options;
  options.url = redis.url();
  options.prefix = prefix;
  options.mode = mode;
  return options;
}

Column text_column(std::string_view name, std::optional<std::string> value) {
  Column c;
  c.name = name;
  c.type_oid = type_oid::kText;
  c.value = value ? Value::text(*value) : Value::null();
  return c;
}

// A change of table public.items (key "id") at position (commit_lsn, seq).
ChangeEvent item_change(Op op, int id, std::optional<std::string> name, uint64_t commit_lsn,
                        uint32_t seq = 0) {
  ChangeEvent e;
  e.op = op;
  e.schema = "public";
  e.table = "items";
  static const std::vector<std::string> kKey = {"id"};
  e.key_columns = kKey;
  e.commit_lsn = Lsn(commit_lsn);
  e.lsn = Lsn(commit_lsn);
  e.seq = seq;
  e.transaction_id = static_cast<uint32_t>(commit_lsn);
  std::vector<Column> row = {text_column("id", std::to_string(id)), text_column("name", name)};
  if (op == Op::Delete) {
    e.old = std::vector<Column>{row[0]};
  } else {
    e.columns = row;
  }
  return e;
}

ChangeBatch batch_of(std::vector<ChangeEvent> events) {
  ChangeBatch batch;
  batch.commit_lsn = events.front().commit_lsn;
  batch.events = std::move(events);
  return batch;
}

std::string item_key(const std::string& prefix, int id) {
  return redis_row_key(prefix, "public", "items", {std::to_string(id)});
}

}  // namespace

TEST(RedisSinkUrl, ParsesHostPortDatabaseAndCredentials) {
  using sinks::redis::parse_redis_url;
  auto url = parse_redis_url("redis://cache.local:6380/3");
  EXPECT_EQ(url.host, "cache.local");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.database, 3);
  EXPECT_TRUE(url.password.empty());
  url = parse_redis_url("redis://app:s3cret@10.0.0.5");
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.text.find("s3cret"), std::string::npos) << "passwords never appear in messages";
  url = parse_redis_url("redis://[::1]:7000/1");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7000);
  for (const char* bad :
       {"http://x", "redis://", "redis://h:99999", "redis://h:1/x", "redis://user@h"}) {
    EXPECT_TRUE(test::throws_cdc_error([&] { parse_redis_url(bad); }, ErrorKind::Config,
                                       "Redis URL '" + std::string(bad) + "'"));
  }
}

TEST(RedisSinkOptionsParsing, TtlAndKeyColumnSpecs) {
  RedisSinkOptions options;
  add_redis_ttl_spec(options, "300");
  add_redis_ttl_spec(options, "public.orders=60");
  add_redis_key_columns_spec(options, "public.items=order_id, line_no");
  EXPECT_EQ(options.default_ttl, std::chrono::seconds(300));
  ASSERT_EQ(options.table_ttl.size(), 1u);
  EXPECT_EQ(options.table_ttl[0].first, "public.orders");
  EXPECT_EQ(options.table_ttl[0].second, std::chrono::seconds(60));
  ASSERT_EQ(options.key_columns.size(), 1u);
  EXPECT_EQ(options.key_columns[0].second, (std::vector<std::string>{"order_id", "line_no"}));
  EXPECT_TRUE(test::throws_cdc_error([&] { add_redis_ttl_spec(options, "soon"); },
                                     ErrorKind::Config, "TTL 'soon' must be SECONDS"));
  EXPECT_TRUE(test::throws_cdc_error([&] { add_redis_ttl_spec(options, "public.x=-1"); },
                                     ErrorKind::Config, "TTL 'public.x=-1' must be SECONDS"));
  EXPECT_TRUE(test::throws_cdc_error([&] { add_redis_key_columns_spec(options, "public.items="); },
                                     ErrorKind::Config, "key columns 'public.items=' must be"));
  EXPECT_TRUE(test::throws_cdc_error([&] { parse_redis_mode("append"); }, ErrorKind::Config,
                                     "unknown Redis mode 'append'"));
  // A rejected spec changes nothing.
  EXPECT_EQ(options.table_ttl.size(), 1u);
  EXPECT_EQ(options.key_columns.size(), 1u);
  EXPECT_EQ(parse_redis_mode("refresh"), RedisMode::Refresh);
  // Options built in code: a negative TTL is refused before anything is sent.
  RedisSinkOptions negative;
  negative.url = "redis://127.0.0.1:1/0";
  negative.connect_lazily = true;
  negative.table_ttl.emplace_back("public.*", std::chrono::milliseconds(-1));
  EXPECT_TRUE(test::throws_cdc_error([&] { make_redis_sink(negative); }, ErrorKind::Config,
                                     "TTL must not be negative"));
}

TEST(RedisSink, KeysEscapeSeparatorsInsideKeyValues) {
  EXPECT_EQ(redis_row_key("app", "public", "t", {"a:b", "c\\d"}), "app:public.t:a\\:b:c\\\\d");
  EXPECT_NE(redis_row_key("p", "s", "t", {"a:b", "c"}), redis_row_key("p", "s", "t", {"a", "b:c"}));
}

TEST(RedisSink, AnOlderChangeNeverOverwritesANewerOne) {
  LocalRedis& redis = shared_redis();
  auto sink = make_redis_sink(options_for(redis, "fence", RedisMode::Upsert));
  sink->write(batch_of({item_change(Op::Update, 1, "newer", 200)}));
  sink->write(batch_of({item_change(Op::Update, 1, "older", 100)}));  // e.g. a replay
  EXPECT_EQ(redis.hash(item_key("fence", 1)).at("name"), "newer");
  EXPECT_EQ(sink->stats().stale_skipped, 1u);
  // Same transaction: the later seq wins, the earlier one is stale.
  sink->write(batch_of({item_change(Op::Update, 1, "seq 5", 300, 5)}));
  sink->write(batch_of({item_change(Op::Update, 1, "seq 4", 300, 4)}));
  EXPECT_EQ(redis.hash(item_key("fence", 1)).at("name"), "seq 5");
  EXPECT_EQ(redis.hash(item_key("fence", 1)).at("_lsn"), "000000000000012C00000005");
}

TEST(RedisSink, ADeleteLeavesATombstoneThatFencesOlderChanges) {
  LocalRedis& redis = shared_redis();
  RedisSinkOptions options = options_for(redis, "tomb", RedisMode::Upsert);
  options.fence_ttl = std::chrono::seconds(30);
  auto sink = make_redis_sink(options);
  sink->write(batch_of({item_change(Op::Insert, 7, "x", 100)}));
  sink->write(batch_of({item_change(Op::Delete, 7, std::nullopt, 200)}));
  EXPECT_TRUE(redis.hash(item_key("tomb", 7)).empty());
  const std::string fence = "tomb:~fence:public.items:7";  // position and xid of the delete
  EXPECT_EQ(redis.command({"GET", fence}).text, "00000000000000C800000000 200");
  EXPECT_GT(redis.ttl_ms(fence), 25000);
  EXPECT_LE(redis.ttl_ms(fence), 30000);
  sink->write(batch_of({item_change(Op::Update, 7, "resurrected?", 150)}));
  EXPECT_TRUE(redis.hash(item_key("tomb", 7)).empty());
  // A newer insert of the same key is applied.
  sink->write(batch_of({item_change(Op::Insert, 7, "again", 300)}));
  EXPECT_EQ(redis.hash(item_key("tomb", 7)).at("name"), "again");
  EXPECT_EQ(redis.command({"GET", fence}).text, "000000000000012C00000000 300");
}

TEST(RedisSink, RefreshWritesOnlyKeysAlreadyCachedAndRenewsTheirTtl) {
  LocalRedis& redis = shared_redis();
  RedisSinkOptions options = options_for(redis, "refresh", RedisMode::Refresh);
  options.default_ttl = std::chrono::seconds(100);
  auto sink = make_redis_sink(options);
  redis.command({"HSET", item_key("refresh", 1), "id", "1", "name", "cached"});
  redis.command({"PEXPIRE", item_key("refresh", 1), "5000"});
  sink->write(batch_of({item_change(Op::Update, 1, "fresh", 100, 0),
                        item_change(Op::Update, 2, "not cached", 100, 1)}));
  EXPECT_EQ(redis.hash(item_key("refresh", 1)).at("name"), "fresh");
  EXPECT_GT(redis.ttl_ms(item_key("refresh", 1)), 5000);
  EXPECT_TRUE(redis.hash(item_key("refresh", 2)).empty());
  EXPECT_EQ(sink->stats().rows_written, 1u);
  EXPECT_EQ(sink->stats().not_cached, 1u);
}

TEST(RedisSink, InvalidateDeletesEveryChangedKeyIncludingAMovedRowsOldKey) {
  LocalRedis& redis = shared_redis();
  auto sink = make_redis_sink(options_for(redis, "inval", RedisMode::Invalidate));
  for (int id : {1, 2, 3}) redis.command({"HSET", item_key("inval", id), "name", "cached"});
  ChangeEvent moved = item_change(Op::Update, 3, "moved", 100, 1);
  moved.old = std::vector<Column>{text_column("id", "2")};  // UPDATE items SET id = 3 WHERE id = 2
  sink->write(batch_of({item_change(Op::Update, 1, "changed", 100, 0), moved}));
  EXPECT_TRUE(redis.keys("inval:public.items:*").empty());
}

TEST(RedisSink, UnchangedToastValuesAreMergedIntoACachedRowAndNeverGuessed) {
  LocalRedis& redis = shared_redis();
  auto sink = make_redis_sink(options_for(redis, "toast", RedisMode::Upsert));
  ChangeEvent full = item_change(Op::Insert, 1, "n", 100);
  full.columns.push_back(text_column("doc", "a very long document"));
  sink->write(batch_of({full}));
  // pgoutput: the unchanged value is flagged.
  ChangeEvent flagged = item_change(Op::Update, 1, "renamed", 200);
  Column doc = text_column("doc", std::nullopt);
  doc.unchanged_toast = true;
  flagged.columns.push_back(doc);
  sink->write(batch_of({flagged}));
  auto row = redis.hash(item_key("toast", 1));
  EXPECT_EQ(row.at("name"), "renamed");
  EXPECT_EQ(row.at("doc"), "a very long document");
  // wal2json: the unchanged value is simply missing; the last insert had it.
  sink->write(batch_of({item_change(Op::Update, 1, "again", 300)}));
  row = redis.hash(item_key("toast", 1));
  EXPECT_EQ(row.at("name"), "again");
  EXPECT_EQ(row.at("doc"), "a very long document");
  // Not cached: a partial row cannot be written, so the key stays absent.
  ChangeEvent other = flagged;
  other.columns[0] = text_column("id", "2");
  sink->write(batch_of({other}));
  EXPECT_TRUE(redis.hash(item_key("toast", 2)).empty());
}

TEST(RedisSink, StreamModeAppendsEachChangeOnceEvenWhenRedelivered) {
  LocalRedis& redis = shared_redis();
  RedisSinkOptions options = options_for(redis, "str", RedisMode::Stream);
  auto sink = make_redis_sink(options);
  const ChangeBatch batch =
      batch_of({item_change(Op::Insert, 1, "a", 100, 0), item_change(Op::Update, 1, "b", 100, 1),
                item_change(Op::Delete, 1, std::nullopt, 100, 2)});
  sink->write(batch);
  sink->write(batch);  // redelivery after a crash
  RedisValue entries = redis.command({"XRANGE", "str:public.items", "-", "+"});
  ASSERT_EQ(entries.elements.size(), 3u);
  EXPECT_EQ(entries.elements[0].elements[0].text, "100-0");
  const auto& fields = entries.elements[1].elements[1].elements;
  ASSERT_GE(fields.size(), 8u);
  EXPECT_EQ(fields[0].text, "op");
  EXPECT_EQ(fields[1].text, "update");
  EXPECT_EQ(fields[5].text, "1");  // key
  EXPECT_NE(fields[7].text.find("\"name\":\"b\""), std::string::npos) << fields[7].text;
  EXPECT_EQ(sink->stats().stream_entries, 3u);
  EXPECT_EQ(sink->stats().stream_duplicates, 3u);

  options.stream_key = "str:all";
  auto single = make_redis_sink(options);
  ChangeEvent other_table = item_change(Op::Insert, 5, "x", 400);
  other_table.table = "others";
  single->write(batch);
  single->write(batch_of({other_table}));
  EXPECT_EQ(redis.command({"XLEN", "str:all"}).integer, 4);
}

TEST(RedisSink, JsonFormatStoresTheRowAsAJsonString) {
  LocalRedis& redis = shared_redis();
  RedisSinkOptions options = options_for(redis, "json", RedisMode::Upsert);
  options.format = RedisRowFormat::Json;
  auto sink = make_redis_sink(options);
  ChangeEvent e = item_change(Op::Insert, 1, std::nullopt, 100);
  Column price;
  price.name = "qty";
  price.type_oid = type_oid::kInt4;
  price.value = Value::text("12");
  e.columns.push_back(price);
  sink->write(batch_of({e}));
  EXPECT_EQ(redis.command({"GET", item_key("json", 1)}).text,
            R"({"id":"1","name":null,"qty":12,"_lsn":"000000000000006400000000"})");
  sink->write(batch_of({item_change(Op::Update, 1, "old", 50)}));
  EXPECT_EQ(sink->stats().stale_skipped, 1u);
}

TEST(RedisSink, CacheFillsOnlyTheRowVersionTheStreamAppliedLast) {
  LocalRedis& redis = shared_redis();
  RedisSinkOptions options = options_for(redis, "fill", RedisMode::Refresh);
  options.default_ttl = std::chrono::seconds(60);
  auto sink = make_redis_sink(options);
  RedisCacheClient cache(options);
  using Loaded = RedisCacheClient::LoadedRow;
  const auto version = [](const std::string& name, uint32_t xmin) {
    return std::optional<Loaded>(Loaded{{{"id", "1"}, {"name", name}}, xmin});
  };

  // Never changed while the sink ran: the fill lands, with an unknown position and the TTL.
  auto first = cache.get("public", "items", {"5"}, [] {
    return std::optional<Loaded>(Loaded{{{"id", "5"}, {"name", "quiet"}}, 42});
  });
  EXPECT_TRUE(first.filled);
  EXPECT_EQ(redis.hash(item_key("fill", 5)).at("_lsn"), "");
  EXPECT_GT(redis.ttl_ms(item_key("fill", 5)), 50000);

  sink->write(batch_of({item_change(Op::Insert, 1, "v1", 100)}));  // not cached: skipped
  // A reader whose snapshot did not see that insert yet (an older version) must not fill.
  auto behind = cache.get("public", "items", {"1"}, [&] { return version("v0", 99); });
  EXPECT_EQ(behind.source, RedisCacheClient::Source::Database);
  EXPECT_EQ(behind.row->at("name"), "v0");
  EXPECT_FALSE(behind.filled);
  // A change applied while the reader reads: what it read is no longer current.
  auto raced = cache.get("public", "items", {"1"}, [&] {
    sink->write(batch_of({item_change(Op::Update, 1, "v2", 200)}));
    return version("v1", 100);
  });
  EXPECT_FALSE(raced.filled);
  EXPECT_TRUE(redis.hash(item_key("fill", 1)).empty());

  // The version the stream applied last: filled, carrying that change's position.
  auto current = cache.get("public", "items", {"1"}, [&] { return version("v2", 200); });
  EXPECT_TRUE(current.filled);
  EXPECT_EQ(redis.hash(item_key("fill", 1)).at("_lsn"), "00000000000000C800000000");
  auto hit = cache.get("public", "items", {"1"}, [] { return std::optional<Loaded>(); });
  EXPECT_EQ(hit.source, RedisCacheClient::Source::Cache);
  EXPECT_EQ(hit.row->at("name"), "v2");
  // A replayed older change is fenced; a newer one refreshes the filled row.
  sink->write(batch_of({item_change(Op::Update, 1, "v1", 100)}));
  EXPECT_EQ(redis.hash(item_key("fill", 1)).at("name"), "v2");
  sink->write(batch_of({item_change(Op::Update, 1, "v3", 300)}));
  EXPECT_EQ(redis.hash(item_key("fill", 1)).at("name"), "v3");
  // A deleted row is not resurrected by a reader that still saw it.
  sink->write(batch_of({item_change(Op::Delete, 1, std::nullopt, 400)}));
  EXPECT_FALSE(cache.get("public", "items", {"1"}, [&] { return version("v3", 300); }).filled);
  EXPECT_TRUE(redis.hash(item_key("fill", 1)).empty());
}

TEST(RedisSink, UpsertFromARealStreamMatchesTheDatabaseWithTtlsPerTable) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis& redis = shared_redis();
  pg.sql(
      "CREATE TABLE rs_users (id int PRIMARY KEY, name text, note text);"
      "CREATE TABLE rs_pairs (a int, b text, v int, PRIMARY KEY (a, b));");
  // The publication must exist before the slot (pgoutput reads it as of each change).
  pg.sql(
      "DO $$ BEGIN CREATE PUBLICATION sabot_cdc FOR ALL TABLES; "
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  pg.sql("SELECT pg_create_logical_replication_slot('rs_slot', 'pgoutput')");
  pg.sql(
      "INSERT INTO rs_users SELECT g, 'user ' || g, NULL FROM generate_series(1, 50) g;"
      "INSERT INTO rs_pairs SELECT g, 'k:' || g, g FROM generate_series(1, 20) g;");
  pg.sql(
      "UPDATE rs_users SET note = 'vip' WHERE id % 5 = 0; DELETE FROM rs_users WHERE id > 45;"
      "UPDATE rs_users SET id = 100 WHERE id = 1; UPDATE rs_pairs SET v = v * 10;"
      "DELETE FROM rs_pairs WHERE a = 3;");

  PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = "rs_slot";
  config.tables = {"public.rs_*"};
  config.end_lsn = pg.current_wal_insert_lsn();
  RedisSinkOptions options = options_for(redis, "real", RedisMode::Upsert);
  add_redis_ttl_spec(options, "300");
  add_redis_ttl_spec(options, "public.rs_pairs=60");
  auto sink = make_redis_sink(options);
  PostgresCdcConnector connector(config);
  connector.open();
  run_sink(connector, *sink);
  connector.close();

  size_t rows = 0;
  for (const auto& row : pg.query("SELECT id, name, note FROM rs_users")) {
    auto cached = redis.hash(redis_row_key("real", "public", "rs_users", {*row[0]}));
    EXPECT_EQ(cached.at("name"), *row[1]);
    EXPECT_EQ(cached.count("note"), row[2] ? 1u : 0u) << "NULL has no field";
    ++rows;
  }
  for (const auto& row : pg.query("SELECT a, b, v FROM rs_pairs")) {
    auto key = redis_row_key("real", "public", "rs_pairs", {*row[0], *row[1]});
    EXPECT_EQ(redis.hash(key).at("v"), *row[2]);
    EXPECT_LE(redis.ttl_ms(key), 60000);
    ++rows;
  }
  EXPECT_EQ(redis.keys("real:public.*").size(), rows) << "no key for a deleted or moved row";
  for (const std::string& key : redis.keys("real:public.rs_users:*")) {
    EXPECT_GT(redis.ttl_ms(key), 60000) << key;
  }
  EXPECT_TRUE(redis.hash(redis_row_key("real", "public", "rs_users", {"1"})).empty());
}

TEST(RedisSink, TruncateRemovesEveryKeyOfTheTable) {
  LocalRedis& redis = shared_redis();
  auto sink = make_redis_sink(options_for(redis, "trunc", RedisMode::Upsert));
  std::vector<ChangeEvent> inserts;
  for (int id = 1; id <= 2500; ++id) inserts.push_back(item_change(Op::Insert, id, "x", 100, id));
  sink->write(batch_of(inserts));
  ChangeEvent other = item_change(Op::Insert, 1, "keep", 100, 9999);
  other.table = "kept";
  sink->write(batch_of({other}));
  ChangeEvent truncate;
  truncate.op = Op::Truncate;
  truncate.schema = "public";
  truncate.table = "items";
  truncate.commit_lsn = Lsn(200);
  sink->write(batch_of({truncate, item_change(Op::Insert, 9, "after", 200, 1)}));
  EXPECT_EQ(redis.keys("trunc:public.items:*"), std::vector<std::string>{item_key("trunc", 9)});
  EXPECT_EQ(redis.keys("trunc:public.kept:*").size(), 1u);
  EXPECT_EQ(sink->stats().truncated_keys, 2500u);
  // For a while, fills of the table are refused: a reader may have read it before the truncate.
  EXPECT_GT(redis.ttl_ms("trunc:~truncated:public.items"), 0);
  RedisCacheClient cache(options_for(redis, "trunc", RedisMode::Upsert));
  EXPECT_FALSE(cache
                   .get("public", "items", {"5"},
                        [] {
                          return std::optional<RedisCacheClient::LoadedRow>({{{"id", "5"}}, 1});
                        })
                   .filled);
}

TEST(RedisSink, WriteFailsWithAConsumerErrorWhenRedisIsGone) {
  LocalRedis redis;
  auto sink = make_redis_sink(options_for(redis, "gone", RedisMode::Upsert));
  sink->write(batch_of({item_change(Op::Insert, 1, "a", 100)}));
  redis.stop();
  try {
    sink->write(batch_of({item_change(Op::Insert, 2, "b", 200)}));
    FAIL() << "write to a stopped Redis returned";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Consumer);
  }
  try {
    make_redis_sink(options_for(redis, "gone", RedisMode::Upsert));
    FAIL() << "connected to a stopped Redis";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Consumer);
    EXPECT_NE(std::string(e.what()).find("redis-local"), std::string::npos) << e.what();
  }
}

TEST(RedisCli, SinkFlagWritesRowsAndOnlyConfirmedBatchesAreAcknowledged) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis;
  pg.sql("CREATE TABLE cli_r (id int PRIMARY KEY, v text)");
  test::create_slot(pg, "cli_r_slot", {"--tables", "public.cli_r"});
  pg.sql(
      "INSERT INTO cli_r SELECT g, 'v' || g FROM generate_series(1, 30) g; "
      "DELETE FROM cli_r WHERE id <= 10");
  auto rejected = test::run_cli({"stream", "--dsn", pg.dsn(), "--slot", "cli_r_slot", "--sink",
                                 redis.url(), "--output", "/tmp/x.jsonl"});
  EXPECT_NE(rejected.exit_code, 0);
  const std::string end = pg.current_wal_insert_lsn().to_string();
  const std::vector<std::string> stream = {
      "stream",         "--dsn",     pg.dsn(),      "--slot",          "cli_r_slot", "--tables",
      "public.cli_r",   "--end-lsn", end,           "--quiet",         "--sink",     redis.url(1),
      "--redis-prefix", "cli",       "--redis-ttl", "public.cli_*=120"};

  // Redis down for longer than --sink-retry-attempts allows: the stream fails after logging each
  // attempt, and the slot does not move.
  const Lsn before = test::confirmed_flush_lsn(pg, "cli_r_slot");
  redis.stop();
  std::vector<std::string> give_up = stream;
  give_up.insert(give_up.end(), {"--sink-retry-attempts", "2", "--sink-retry-max-ms", "50"});
  auto failed = test::run_cli(give_up);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("Redis"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("connect() failed"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("(attempt 2)"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("after 2 retries"), std::string::npos) << failed.err;
  EXPECT_EQ(test::confirmed_flush_lsn(pg, "cli_r_slot"), before);

  LocalRedis second;
  std::vector<std::string> again = stream;
  again[again.size() - 5] = second.url(1);
  auto ok = test::run_cli(again);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  second.select(1);
  EXPECT_EQ(second.keys("cli:public.cli_r:*").size(), 20u);
  EXPECT_EQ(second.hash("cli:public.cli_r:30").at("v"), "v30");
  EXPECT_GT(second.ttl_ms("cli:public.cli_r:30"), 100000);
}

// Redis not running yet when sabot-cdc starts: it retries (each attempt logged) without moving the
// slot, and once redis-server is started writes every row.
TEST(RedisCli, ARedisStartedAfterTheStreamIsWaitedFor) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis;
  redis.stop();
  pg.sql("CREATE TABLE cli_late (id int PRIMARY KEY, v text)");
  test::create_slot(pg, "cli_late_slot", {"--tables", "public.cli_late"});
  pg.sql("INSERT INTO cli_late SELECT g, 'v' || g FROM generate_series(1, 500) g");
  const Lsn before = test::confirmed_flush_lsn(pg, "cli_late_slot");
  const test::TempDir dir("redis-late");
  std::filesystem::create_directories(dir.path());
  const std::string log = dir.path() + "/log";
  const int pid = test::spawn_cli(
      {"stream", "--dsn", pg.dsn(), "--slot", "cli_late_slot", "--tables", "public.cli_late",
       "--end-lsn", pg.current_wal_insert_lsn().to_string(), "--quiet", "--sink", redis.url(),
       "--redis-prefix", "late", "--sink-retry-max-ms", "100"},
      log);
  const bool retried = test::eventually(
      [&] { return test::read_file_if_present(log).find("(attempt 3)") != std::string::npos; });
  ASSERT_TRUE(retried) << test::read_file_if_present(log);
  EXPECT_NE(test::read_file_if_present(log).find("connect() failed"), std::string::npos);
  EXPECT_EQ(test::confirmed_flush_lsn(pg, "cli_late_slot"), before) << "nothing acknowledged";
  redis.start();
  const std::optional<int> code = test::wait_for_exit(pid, std::chrono::seconds(60));
  ASSERT_EQ(code, std::optional<int>(0)) << test::read_file_if_present(log);
  EXPECT_EQ(redis.keys("late:public.cli_late:*").size(), 500u);
  EXPECT_EQ(redis.hash("late:public.cli_late:500").at("v"), "v500");
  EXPECT_GT(test::confirmed_flush_lsn(pg, "cli_late_slot"), before);
}

TEST(RedisCli, StreamModeWithOneStreamForAllTables) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis& redis = shared_redis();
  pg.sql("CREATE TABLE cli_s1 (id int PRIMARY KEY); CREATE TABLE cli_s2 (id int PRIMARY KEY)");
  test::create_slot(pg, "cli_s_slot", {"--plugin", "wal2json"});
  pg.sql("INSERT INTO cli_s1 VALUES (1), (2); INSERT INTO cli_s2 VALUES (3); DELETE FROM cli_s1");
  auto r = test::run_cli({"stream", "--dsn", pg.dsn(), "--slot", "cli_s_slot", "--plugin",
                          "wal2json", "--tables", "public.cli_s*", "--end-lsn",
                          pg.current_wal_insert_lsn().to_string(), "--quiet", "--sink", redis.url(),
                          "--redis-mode", "stream", "--redis-stream-key", "cli:changes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RedisValue entries = redis.command({"XRANGE", "cli:changes", "-", "+"});
  ASSERT_EQ(entries.elements.size(), 5u);
  std::vector<std::string> ops;
  for (const auto& entry : entries.elements) ops.push_back(entry.elements[1].elements[1].text);
  EXPECT_EQ(ops, (std::vector<std::string>{"insert", "insert", "insert", "delete", "delete"}));
}
