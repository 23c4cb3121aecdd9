// `sabot-cdc stream --format debezium` against a real PostgreSQL: every type of a wide row as
// Debezium's PostgreSQL connector maps it (expected values worked out by hand from Debezium's
// data type mappings; README "Debezium format"), for pgoutput and both wal2json formats, on
// stdout and in a file; unchanged TOAST values; transaction metadata lines; the Redis stream
// mode; the pipeline file key; and kill -9 / restart of a file stream, which must hold every
// change exactly once (compared with a clean run of a second slot over the same changes).
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "files.hpp"
#include "json_events.hpp"
#include "local_kafka.hpp"
#include "local_postgres.hpp"
#include "local_redis.hpp"
#include "plugin_params.hpp"
#include "slot_polling.hpp"

using namespace sabot::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

std::string minified(simdjson::dom::element element) {
  return simdjson::minify(element);
}

// `sabot-cdc stream --format debezium` of `slot` up to now, on stdout; the lines.
std::vector<std::string> stream_debezium(const LocalPostgres& pg, const std::string& slot,
                                         std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "stream",          "--quiet", "--dsn",     pg.dsn(),
      "--slot",          slot,      "--format",  "debezium",
      "--debezium-name", "srv",     "--end-lsn", pg.current_wal_insert_lsn().to_string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return lines_of(r.out);
}

constexpr const char* kWideTable =
    "(id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision, n numeric(10,2), "
    "b boolean, t text, vc varchar(10), c char(3), by bytea, d date, tm time, tm3 time(3), "
    "ts timestamp, ts3 timestamp(3), tstz timestamptz, tstz3 timestamptz(3), ttz timetz, "
    "iv interval, u uuid, j json, jb jsonb, ia int[], ta text[], bt bit(4), bt1 bit(1), m money, "
    "pt point, ip inet, e dbz_mood, ir int4range, nl text)";

constexpr const char* kWideRow =
    "(1, -5, 9007199254740993, 1.5, -2.25, 1234.5, true, 'hé \"q\"', 'abc', 'ab', "
    "'\\x68656c6c6f', '2018-06-20', '04:05:06.789', '04:05:06.789', "
    "'2018-06-20 15:13:16.945104', '2018-06-20 15:13:16.945', "
    "'2018-06-20 15:13:16.945104+02', '2018-06-20 15:13:16.9+00', '04:05:06.789-08', "
    "'1 year 2 mons 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}', "
    "'{\"a\": 1}', '{1,2,NULL}', '{a,\"b c\"}', B'1010', B'1', 12.34, '(1,2)', '10.0.0.1', "
    "'happy', '[1,10)', NULL)";

// Debezium's values for kWideRow, by hand: dates in days (2018-06-20 is day 17702), times in µs
// past midnight (04:05:06.789 = 14706.789 s; ms for time(3)), timestamps in µs since the epoch
// (ms for timestamp(3)), timestamptz as ISO UTC with the column's fraction digits, timetz in
// UTC, the interval in µs with 30.4375-day months ((14 × 30.4375 + 3) days + 14706.5 s =
// 37091106.5 s), bytea and bits in base64 (bit(4) 1010 is the byte 0x0A), money as its amount,
// the point with its WKB (01, type 1, x and y as little-endian doubles).
constexpr const char* kWideRowAfter =
    R"j({"id":1,"i2":-5,"i8":9007199254740993,"f4":1.5,"f8":-2.25,"n":"1234.50","b":true,)j"
    R"j("t":"hé \"q\"","vc":"abc","c":"ab ","by":"aGVsbG8=","d":17702,"tm":14706789000,)j"
    R"j("tm3":14706789,"ts":1529507596945104,"ts3":1529507596945,)j"
    R"j("tstz":"2018-06-20T13:13:16.945104Z","tstz3":"2018-06-20T15:13:16.900Z",)j"
    R"j("ttz":"12:05:06.789Z","iv":37091106500000,"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",)j"
    R"j("j":"{\"a\": 1}","jb":"{\"a\": 1}","ia":[1,2,null],"ta":["a","b c"],"bt":"Cg==",)j"
    R"j("bt1":true,"m":"12.34","pt":{"x":1,"y":2,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA",)j"
    R"j("srid":null},"ip":"10.0.0.1","e":"happy","ir":"[1,10)","nl":null})j";

class DebeziumStream : public ::testing::TestWithParam<std::string> {
 protected:
  LocalPostgres& pg = LocalPostgres::shared();
  std::string table() const { return "dbz_wide_" + GetParam(); }
  std::string slot() const { return "dbz_wide_slot_" + GetParam(); }
  std::vector<std::string> plugin_args() const { return plugin_stream_args(GetParam()); }
  void SetUp() override {
    pg.sql(
        "DO $$ BEGIN CREATE TYPE dbz_mood AS ENUM ('sad', 'happy'); "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  }
};

}  // namespace

TEST_P(DebeziumStream, EveryTypeOfAWideRowAsDebeziumMapsIt) {
  pg.sql("CREATE TABLE " + table() + " " + kWideTable);
  create_slot(pg, slot(), {"--plugin", plugin_of(GetParam())});
  pg.sql("INSERT INTO " + table() + " VALUES " + kWideRow);
  pg.sql("UPDATE " + table() + " SET i2 = 6 WHERE id = 1");
  pg.sql("DELETE FROM " + table() + " WHERE id = 1");
  const auto lines = stream_debezium(pg, slot(), plugin_args());
  ASSERT_EQ(lines.size(), 3u);

  simdjson::dom::parser parser;
  simdjson::dom::element insert = parser.parse(lines[0]);
  EXPECT_EQ(std::string_view(insert["op"]), "c");
  EXPECT_TRUE(insert["before"].is_null());
  EXPECT_EQ(minified(insert["after"]), kWideRowAfter);
  simdjson::dom::element source = insert["source"];
  EXPECT_EQ(std::string_view(source["connector"]), "postgresql");
  EXPECT_EQ(std::string_view(source["name"]), "srv");
  EXPECT_EQ(std::string_view(source["db"]), "sabot");  // asked of the server
  EXPECT_EQ(std::string_view(source["schema"]), "public");
  EXPECT_EQ(std::string_view(source["table"]), table());
  EXPECT_EQ(std::string_view(source["snapshot"]), "false");
  EXPECT_GT(uint64_t(source["txId"]), 0u);
  EXPECT_GT(uint64_t(source["lsn"]), 0u);
  EXPECT_TRUE(source["xmin"].is_null());
  EXPECT_TRUE(insert["transaction"].is_null());
  // ts_ms: the commit (source) and when we rendered it (top level), both epoch milliseconds.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  EXPECT_LE(int64_t(source["ts_ms"]), int64_t(insert["ts_ms"]));
  EXPECT_LE(int64_t(insert["ts_ms"]), now_ms);
  EXPECT_GT(int64_t(source["ts_ms"]), now_ms - 600'000);

  simdjson::dom::element update = parser.parse(lines[1]);
  EXPECT_EQ(std::string_view(update["op"]), "u");
  EXPECT_EQ(int64_t(update["after"]["i2"]), 6);
  EXPECT_EQ(std::string_view(update["after"]["tstz"]), "2018-06-20T13:13:16.945104Z");

  simdjson::dom::element deleted = parser.parse(lines[2]);
  EXPECT_EQ(std::string_view(deleted["op"]), "d");
  EXPECT_EQ(minified(deleted["before"]), R"({"id":1})");  // REPLICA IDENTITY DEFAULT: the key
  EXPECT_TRUE(deleted["after"].is_null());
}

TEST_P(DebeziumStream, TruncateIsOpTAndTransactionMetadataFramesEachTransaction) {
  const std::string a = "dbz_tx_a_" + GetParam(), b = "dbz_tx_b_" + GetParam();
  pg.sql("CREATE TABLE " + a + " (id int PRIMARY KEY); CREATE TABLE " + b +
         " (id int PRIMARY KEY)");
  const std::string slot = "dbz_tx_slot_" + GetParam();
  create_slot(pg, slot, {"--plugin", plugin_of(GetParam())});
  pg.sql("BEGIN; INSERT INTO " + a + " VALUES (1), (2); INSERT INTO " + b +
         " VALUES (3); COMMIT; TRUNCATE " + b);
  std::vector<std::string> args = plugin_args();
  args.push_back("--debezium-transaction-metadata");
  const auto lines = stream_debezium(pg, slot, args);

  simdjson::dom::parser parser;
  std::vector<std::string> kinds;
  for (const std::string& line : lines) {
    simdjson::dom::element doc = parser.parse(line);
    std::string_view status;
    const bool is_event = doc["status"].get_string().get(status) != simdjson::SUCCESS;
    kinds.push_back(is_event ? std::string(std::string_view(doc["op"])) : std::string(status));
  }
  // wal2json format 1 reports no truncates; the others do, in a transaction of their own.
  const bool has_truncate = GetParam() != "w1";
  std::vector<std::string> want = {"BEGIN", "c", "c", "c", "END"};
  if (has_truncate) want.insert(want.end(), {"BEGIN", "t", "END"});
  ASSERT_EQ(kinds, want);

  simdjson::dom::element begin = parser.parse(lines[0]);
  const std::string id{std::string_view(begin["id"])};
  EXPECT_TRUE(begin["event_count"].is_null());
  for (int i = 1; i <= 3; ++i) {
    simdjson::dom::element event = parser.parse(lines[static_cast<size_t>(i)]);
    EXPECT_EQ(std::string_view(event["transaction"]["id"]), id);
    EXPECT_EQ(int64_t(event["transaction"]["total_order"]), i);
    EXPECT_EQ(int64_t(event["transaction"]["data_collection_order"]), i == 3 ? 1 : i);
    // the id is "XID:COMMIT_LSN": the event's txId and (as a number) its commit LSN
    EXPECT_EQ(id.substr(0, id.find(':')), std::to_string(uint64_t(event["source"]["txId"])));
  }
  simdjson::dom::element end = parser.parse(lines[4]);
  EXPECT_EQ(std::string_view(end["id"]), id);
  EXPECT_EQ(int64_t(end["event_count"]), 3);
  EXPECT_EQ(minified(end["data_collections"]),
            R"([{"data_collection":"public.)" + a + R"(","event_count":2},)" +
                R"({"data_collection":"public.)" + b + R"(","event_count":1}])");
  if (has_truncate) {
    simdjson::dom::element truncate = parser.parse(lines[6]);
    EXPECT_EQ(std::string_view(truncate["source"]["table"]), b);
    EXPECT_TRUE(truncate["before"].is_null());
    EXPECT_TRUE(truncate["after"].is_null());
  }
}

INSTANTIATE_TEST_SUITE_P(Plugins, DebeziumStream, ::testing::Values("pg", "w1", "w2"),
                         plugin_test_name);

TEST(DebeziumStreamToast, UnchangedToastValueIsDebeziumsPlaceholder) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE dbz_toast (id int PRIMARY KEY, v int, big text)");
  create_slot(pg, "dbz_toast_slot", {"--plugin", "pgoutput"});
  // 6400 characters of md5 hex: compressed still over the TOAST threshold, so stored out of line.
  pg.sql(
      "INSERT INTO dbz_toast SELECT 1, 0, string_agg(md5(g::text), '') FROM "
      "generate_series(1, 200) g");
  pg.sql("UPDATE dbz_toast SET v = 1 WHERE id = 1");
  const auto lines = stream_debezium(pg, "dbz_toast_slot", {"--plugin", "pgoutput"});
  ASSERT_EQ(lines.size(), 2u);
  simdjson::dom::parser parser;
  EXPECT_EQ(std::string_view(parser.parse(lines[0])["after"]["big"]).size(), 6400u);
  simdjson::dom::element update = parser.parse(lines[1]);
  EXPECT_EQ(int64_t(update["after"]["v"]), 1);
  EXPECT_EQ(std::string_view(update["after"]["big"]), "__debezium_unavailable_value");
}

TEST(DebeziumRedis, StreamModeEntriesCarryTheDebeziumEnvelope) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis;
  pg.sql("CREATE TABLE dbz_redis (id int PRIMARY KEY, ts timestamp)");
  create_slot(pg, "dbz_redis_slot", {"--plugin", "pgoutput"});
  pg.sql(
      "INSERT INTO dbz_redis VALUES (1, '2018-06-20 15:13:16.945104'); "
      "DELETE FROM dbz_redis WHERE id = 1");
  const CommandResult r = run_cli(
      {"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "dbz_redis_slot", "--end-lsn",
       pg.current_wal_insert_lsn().to_string(), "--sink", redis.url(), "--redis-mode", "stream",
       "--redis-stream-key", "dbz:changes", "--format", "debezium", "--debezium-database", "shop"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RedisValue entries = redis.command({"XRANGE", "dbz:changes", "-", "+"});
  ASSERT_EQ(entries.elements.size(), 2u);
  simdjson::dom::parser parser;
  std::vector<std::string> ops;
  for (const RedisValue& entry : entries.elements) {
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].text != "event") continue;
      simdjson::dom::element doc = parser.parse(fields[i + 1].text);
      ops.emplace_back(std::string_view(doc["op"]));
      EXPECT_EQ(std::string_view(doc["source"]["db"]), "shop");
      if (ops.back() == "c") {
        EXPECT_EQ(minified(doc["after"]), R"({"id":1,"ts":1529507596945104})");
      } else {
        EXPECT_EQ(minified(doc["before"]), R"({"id":1})");
      }
    }
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"c", "d"}));
}

TEST(DebeziumConfigFile, FormatKeyOfThePipelineFile) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE dbz_config (id int PRIMARY KEY)");
  create_slot(pg, "dbz_config_slot", {"--plugin", "pgoutput"});
  pg.sql("INSERT INTO dbz_config VALUES (5)");
  const std::string out = pg.dir() + "/dbz_config.jsonl";
  const std::string toml = pg.dir() + "/dbz_pipeline.toml";
  std::ofstream(toml) << "[source]\ndsn = \"" << pg.dsn()
                      << "\"\nslot = \"dbz_config_slot\"\n[sink]\noutput = \"" << out
                      << "\"\nformat = \"debezium\"\ndebezium-name = \"cfg\"\n";
  const CommandResult r = run_cli(
      {"run", "--config", toml, "--quiet", "--end-lsn", pg.current_wal_insert_lsn().to_string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(read_file(out));
  ASSERT_EQ(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(lines[0]);
  EXPECT_EQ(std::string_view(doc["op"]), "c");
  EXPECT_EQ(std::string_view(doc["source"]["name"]), "cfg");
  EXPECT_EQ(minified(doc["after"]), R"({"id":5})");
}

namespace {

// What must be identical between two Debezium files of the same changes: each event line
// without the top-level processing times, and for BEGIN / END lines their status and id (END's
// counts cover only what one run rendered: README "Debezium format").
std::vector<std::string> comparable(const std::string& text) {
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  for (const std::string& line : lines_of(text)) {
    simdjson::dom::element doc = parser.parse(line);
    std::string_view status;
    if (!doc["status"].get_string().get(status)) {
      out.push_back(std::string(status) + " " + std::string(std::string_view(doc["id"])));
      continue;
    }
    simdjson::dom::element transaction = doc["transaction"];
    out.push_back(std::string(std::string_view(doc["op"])) + " " + minified(doc["source"]) + " " +
                  minified(doc["before"]) + " " + minified(doc["after"]) + " " +
                  std::string(std::string_view(transaction["id"])));
  }
  return out;
}

// Transactions of 1 to 200 rows: inserts (a multi-row INSERT ... SELECT), an update and a
// delete each; returns how many row changes it made.
size_t run_workload(const LocalPostgres& pg, size_t transactions, uint32_t seed) {
  std::mt19937 rng(seed);
  size_t changes = 0;
  int64_t next_id = 1;
  for (size_t i = 0; i < transactions; ++i) {
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 200);
    const int64_t first = next_id;
    next_id += rows;
    pg.sql("BEGIN; INSERT INTO dbz_kill SELECT g, 0, 'p' FROM generate_series(" +
           std::to_string(first) + ", " + std::to_string(next_id - 1) +
           ") g; UPDATE dbz_kill SET v = 1 WHERE id = " + std::to_string(first) +
           "; DELETE FROM dbz_kill WHERE id = " + std::to_string(next_id - 1) + "; COMMIT");
    changes += static_cast<size_t>(rows) + 2;
  }
  return changes;
}

}  // namespace

TEST(DebeziumFile, KillNineAndRestartKeepEveryChangeExactlyOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE dbz_kill (id bigint PRIMARY KEY, v int, pad text)");
  create_slot(pg, "dbz_kill_slot", {"--plugin", "pgoutput"});
  create_slot(pg, "dbz_clean_slot", {"--plugin", "pgoutput"});
  const std::string out = pg.dir() + "/dbz_kill.jsonl";
  std::vector<std::string> args = {"stream",
                                   "--quiet",
                                   "--dsn",
                                   pg.dsn(),
                                   "--slot",
                                   "dbz_kill_slot",
                                   "--output",
                                   out,
                                   "--batch-size",
                                   "20",
                                   "--format",
                                   "debezium",
                                   "--debezium-transaction-metadata"};
  size_t changes = 0;
  std::thread writer([&] { changes = run_workload(pg, 300, 20261202); });
  std::mt19937 rng(11);
  int kills = 0;
  std::vector<size_t> lines_at_kill;
  for (; kills < 8; ++kills) {
    // Restarts with another batch size re-cut a half-written transaction differently: a batch
    // that starts it (first_in_transaction) then also holds events past the file's checkpoint.
    args[9] = kills % 2 == 0 ? "20" : "50";
    const int pid = spawn_cli(args, pg.dir() + "/dbz_kill.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 350));
    kill(pid, SIGKILL);
    wait_for_exit(pid, 10s);
    lines_at_kill.push_back(lines_of(read_file_if_present(out)).size());
  }
  writer.join();
  const std::string end = pg.current_wal_insert_lsn().to_string();
  std::vector<std::string> final_args = args;
  final_args.insert(final_args.end(), {"--end-lsn", end});
  const CommandResult last = run_cli(final_args);
  ASSERT_EQ(last.exit_code, 0) << last.err;

  const std::string clean = pg.dir() + "/dbz_clean.jsonl";
  std::vector<std::string> clean_args = final_args;
  clean_args[5] = "dbz_clean_slot";
  clean_args[7] = clean;
  const CommandResult reference = run_cli(clean_args);
  ASSERT_EQ(reference.exit_code, 0) << reference.err;

  std::string at_kills;
  for (size_t n : lines_at_kill) at_kills += " " + std::to_string(n);
  std::printf("kill -9 points: %d (lines in the file at each:%s), changes made: %zu\n", kills,
              at_kills.c_str(), changes);
  const auto got = comparable(read_file(out));
  const auto want = comparable(read_file(clean));
  size_t events = 0;
  for (const std::string& line : want)
    events += line.starts_with("BEGIN") || line.starts_with("END") ? 0 : 1;
  EXPECT_EQ(events, changes);  // the clean run holds every change the workload made
  ASSERT_EQ(got.size(), want.size()) << "lost or duplicated lines";
  size_t mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i] && ++mismatches <= 3) {
      ADD_FAILURE() << "line " << i << ":\n got " << got[i] << "\nwant " << want[i];
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(DebeziumCli, FlagsThatDoNotFitAreRefusedWithTheFix) {
  LocalPostgres& pg = LocalPostgres::shared();
  const CommandResult rows =
      run_cli({"stream", "--dsn", pg.dsn(), "--slot", "dbz_none", "--format", "debezium", "--sink",
               "redis://127.0.0.1:1", "--redis-mode", "upsert"});
  EXPECT_EQ(rows.exit_code, 1);
  EXPECT_NE(rows.err.find("--redis-mode stream"), std::string::npos) << rows.err;

  const CommandResult metadata = run_cli(
      {"stream", "--dsn", pg.dsn(), "--slot", "dbz_none", "--debezium-transaction-metadata"});
  EXPECT_EQ(metadata.exit_code, 1);
  EXPECT_NE(metadata.err.find("need --format debezium"), std::string::npos) << metadata.err;

  const CommandResult unknown =
      run_cli({"stream", "--dsn", pg.dsn(), "--slot", "dbz_none", "--format", "avro"});
  EXPECT_EQ(unknown.exit_code, 2);  // a usage error, naming the flag
  EXPECT_NE(unknown.err.find("--format"), std::string::npos) << unknown.err;
}

TEST(DebeziumSnapshot, SnapshotRowsAreOpRWithTheSameValuesAsAStreamedInsert) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("dbz_snapshot");
  sql_on(dsn, "CREATE TYPE dbz_mood AS ENUM ('sad', 'happy'); CREATE TABLE dbz_snap " +
                  std::string(kWideTable) + "; INSERT INTO dbz_snap VALUES " + kWideRow);
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "dbz_snap_slot"}).exit_code, 0);
  const CommandResult r =
      run_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "dbz_snap_slot", "--snapshot", "only",
               "--snapshot-state", pg.dir() + "/dbz_snap.state", "--format", "debezium"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element read = parser.parse(lines[0]);
  EXPECT_EQ(std::string_view(read["op"]), "r");
  EXPECT_TRUE(read["before"].is_null());
  EXPECT_EQ(minified(read["after"]), kWideRowAfter);
  EXPECT_EQ(std::string_view(read["source"]["snapshot"]), "true");
  EXPECT_EQ(std::string_view(read["source"]["db"]), "dbz_snapshot");
  EXPECT_TRUE(read["source"]["txId"].is_null());
  EXPECT_TRUE(read["transaction"].is_null());
}

TEST(DebeziumKafka, RecordsCarryDebeziumsValueAndKey) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  pg.sql("CREATE TABLE dbz_kafka (id int PRIMARY KEY, d date, n numeric(6,2))");
  create_slot(pg, "dbz_kafka_slot", {"--plugin", "pgoutput"});
  pg.sql("INSERT INTO dbz_kafka VALUES (1, '1970-01-02', 1.5); DELETE FROM dbz_kafka");
  pg.sql("ALTER TABLE dbz_kafka ADD COLUMN extra int");
  const CommandResult r = run_cli(
      {"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "dbz_kafka_slot", "--tables",
       "public.dbz_kafka", "--sink", kafka.url(), "--end-lsn",
       pg.current_wal_insert_lsn().to_string(), "--format", "debezium", "--debezium-name", "kf"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = read_kafka(kafka.bootstrap(), {"sabot.public.dbz_kafka"});
  ASSERT_EQ(records.size(), 2u);
  simdjson::dom::parser parser;
  std::vector<std::string> ops;
  for (const KafkaRecord& record : records) {
    ASSERT_TRUE(record.key && record.value);
    EXPECT_EQ(*record.key, R"({"id":1})");
    simdjson::dom::element doc = parser.parse(*record.value);
    ops.emplace_back(std::string_view(doc["op"]));
    EXPECT_EQ(std::string_view(doc["source"]["name"]), "kf");
    if (ops.back() == "c") {
      EXPECT_EQ(minified(doc["after"]), R"({"id":1,"d":1,"n":"1.50"})");
    }
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"c", "d"}));
  // Debezium has no schema change message: the schema topic keeps sabot's description of it.
  const auto schema = read_kafka(kafka.bootstrap(), {"sabot.schema_changes"});
  bool altered = false;
  for (const KafkaRecord& record : schema) {
    ASSERT_TRUE(record.value);
    simdjson::dom::element doc = parser.parse(*record.value);
    std::string_view table;
    if (doc["table"].get_string().get(table) || table != "dbz_kafka") continue;
    EXPECT_EQ(std::string_view(doc["op"]), "schema_change");
    altered = altered || std::string_view(doc["ddl"]) == "ALTER TABLE";
  }
  EXPECT_TRUE(altered);
}

// Debezium's provide.transaction.metadata in Kafka: BEGIN and END of each source transaction on
// a topic of their own (--kafka-transaction-topic), keyed by the transaction id, read back by an
// independent consumer; the data topics hold only change events, each naming its transaction.
TEST(DebeziumKafka, TransactionMetadataGoesToATopicOfItsOwn) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  pg.sql("CREATE TABLE dbz_ktx (id int PRIMARY KEY); CREATE TABLE dbz_ktx2 (id int PRIMARY KEY)");
  create_slot(pg, "dbz_ktx_slot", {"--plugin", "pgoutput"});
  pg.sql("BEGIN; INSERT INTO dbz_ktx VALUES (1), (2); INSERT INTO dbz_ktx2 VALUES (1); COMMIT");
  pg.sql("INSERT INTO dbz_ktx VALUES (3)");
  const CommandResult r = run_cli(
      {"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "dbz_ktx_slot", "--tables",
       "public.dbz_ktx,public.dbz_ktx2", "--sink", kafka.url(), "--end-lsn",
       pg.current_wal_insert_lsn().to_string(), "--format", "debezium", "--debezium-name", "kf",
       "--debezium-transaction-metadata", "--kafka-transaction-topic", "kf.transaction"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  simdjson::dom::parser parser;
  // Transaction id -> the statuses in offset order, and the END's counts.
  std::map<std::string, std::vector<std::string>> statuses;
  std::map<std::string, std::string> end_collections;
  std::map<std::string, int64_t> end_counts;
  for (const KafkaRecord& record : read_kafka(kafka.bootstrap(), {"kf.transaction"})) {
    ASSERT_TRUE(record.key && record.value);
    simdjson::dom::element doc = parser.parse(*record.value);
    const std::string id{std::string_view(doc["id"])};
    EXPECT_EQ(*record.key, "{\"id\":\"" + id + "\"}");
    statuses[id].emplace_back(std::string_view(doc["status"]));
    if (statuses[id].back() == "END") {
      end_counts[id] = int64_t(doc["event_count"]);
      end_collections[id] = minified(doc["data_collections"]);
    }
  }
  ASSERT_EQ(statuses.size(), 2u);
  // Every change event names its transaction; count them per transaction.
  std::map<std::string, int64_t> events_of;
  for (const KafkaRecord& record :
       read_kafka(kafka.bootstrap(), {"sabot.public.dbz_ktx", "sabot.public.dbz_ktx2"})) {
    ASSERT_TRUE(record.value);
    simdjson::dom::element doc = parser.parse(*record.value);
    EXPECT_EQ(std::string_view(doc["op"]), "c");
    ++events_of[std::string(std::string_view(doc["transaction"]["id"]))];
  }
  ASSERT_EQ(events_of.size(), 2u);
  for (const auto& [id, count] : events_of) {
    EXPECT_EQ(statuses[id], (std::vector<std::string>{"BEGIN", "END"})) << id;
    EXPECT_EQ(end_counts[id], count) << id;
    if (count == 3) {
      EXPECT_EQ(end_collections[id],
                R"([{"data_collection":"public.dbz_ktx","event_count":2},)"
                R"({"data_collection":"public.dbz_ktx2","event_count":1}])");
    } else {
      EXPECT_EQ(count, 1);
      EXPECT_EQ(end_collections[id], R"([{"data_collection":"public.dbz_ktx","event_count":1}])");
    }
  }
}
