// Snapshots (issue: the rows that already exist, consistent with the stream, resumable, on
// demand). The truth is always the table itself: applying the output in order — a read or an
// insert as an upsert by key, an update as "delete the old key, upsert the new row", a delete as
// a delete, a truncate as emptying the table — must give exactly what SELECT returns, with the
// values as PostgreSQL's to_json() renders them.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "files.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "plugin_params.hpp"
#include "slot_polling.hpp"
#include "text.hpp"

using namespace sabot::test;
using namespace std::chrono_literals;

namespace {

using Row = std::map<std::string, std::string>;  // column -> JSON text of its value

// The table's rows keyed by the JSON text of the key columns, each column as to_json() renders it.
std::map<std::string, Row> table_rows(const std::string& dsn, const std::string& table,
                                      const std::vector<std::string>& columns,
                                      const std::vector<std::string>& key) {
  std::string select;
  for (const std::string& c : columns) select += (select.empty() ? "" : ", ") + ("to_json(" + c + ")::text");
  std::map<std::string, Row> rows;
  for (const auto& r : query_on(dsn, "SELECT " + select + " FROM " + table)) {
    Row row;
    for (size_t i = 0; i < columns.size(); ++i) row[columns[i]] = r[i].value_or("null");
    std::string k;
    for (const std::string& c : key) k += row[c] + "|";
    rows[k] = std::move(row);
  }
  return rows;
}

std::string key_of(const Row& row, const std::vector<std::string>& key) {
  std::string k;
  for (const std::string& c : key) {
    auto it = row.find(c);
    k += (it == row.end() ? "?" : it->second) + "|";
  }
  return k;
}

// Applies the events of `table` in order, as the issue defines it.
std::map<std::string, Row> replay(const std::vector<JsonEvent>& events, const std::string& table,
                                  const std::vector<std::string>& key) {
  std::map<std::string, Row> state;
  for (const JsonEvent& e : events) {
    if (e.schema + "." + e.table != table) continue;
    if (e.op == "truncate") {
      state.clear();
    } else if (e.op == "read" || e.op == "insert") {
      state[key_of(e.columns, key)] = e.columns;
    } else if (e.op == "update") {
      Row row = e.columns;
      const std::string old_key = e.old ? key_of(*e.old, key) : key_of(e.columns, key);
      for (const std::string& unchanged : e.unchanged_toast) row[unchanged] = state[old_key][unchanged];
      state.erase(old_key);
      state[key_of(row, key)] = row;
    } else if (e.op == "delete") {
      state.erase(key_of(*e.old, key));
    }
  }
  return state;
}

void expect_same_rows(const std::map<std::string, Row>& got,
                      const std::map<std::string, Row>& want) {
  EXPECT_EQ(got.size(), want.size());
  size_t shown = 0;
  for (const auto& [k, row] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      if (++shown <= 5) ADD_FAILURE() << "missing row " << k;
    } else if (it->second != row) {
      if (++shown <= 5) ADD_FAILURE() << "row " << k << " differs";
    }
  }
  for (const auto& [k, row] : got) {
    if (!want.count(k) && ++shown <= 5) ADD_FAILURE() << "stale row " << k;
  }
}

// Every (commit_lsn, seq) at most once, and no key read twice.
void expect_no_duplicates(const std::vector<JsonEvent>& events, const std::vector<std::string>& key) {
  std::set<std::pair<std::string, uint64_t>> positions;
  std::set<std::string> read_keys;
  size_t duplicates = 0, reread = 0;
  for (const JsonEvent& e : events) {
    if (!positions.insert({e.commit_lsn, e.seq}).second) ++duplicates;
    if (e.op == "read" && !read_keys.insert(e.table + key_of(e.columns, key)).second) ++reread;
  }
  EXPECT_EQ(duplicates, 0u) << "positions delivered twice";
  EXPECT_EQ(reread, 0u) << "rows read twice";
}

// Random inserts, updates (some moving a row to a new key), deletes, in small transactions.
class Writer {
 public:
  Writer(const std::string& dsn, std::string table, int64_t first_free_id, uint32_t seed)
      : conn_(PQconnectdb(dsn.c_str())), table_(std::move(table)), next_id_(first_free_id),
        rng_(seed) {}
  ~Writer() { PQfinish(conn_); }
  // About 500 transactions a second: a busy database the stream keeps up with.
  void run_until(const std::atomic<bool>& stop) {
    while (!stop.load()) {
      transaction();
      std::this_thread::sleep_for(2ms);
    }
  }
  uint64_t transactions() const { return transactions_; }

 private:
  void transaction() {
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);  // the server restarted
    std::string sql = "BEGIN;";
    for (int i = 0; i < 5; ++i) {
      const int64_t id = static_cast<int64_t>(rng_() % static_cast<uint32_t>(next_id_)) + 1;
      switch (rng_() % 4) {
        case 0:
          sql += "INSERT INTO " + table_ + " VALUES (" + std::to_string(next_id_++) + ", " +
                 std::to_string(rng_() % 1000) + ", 'new');";
          break;
        case 1:
          sql += "UPDATE " + table_ + " SET v = v + 1, note = 'upd' WHERE id = " +
                 std::to_string(id) + ";";
          break;
        case 2:
          sql += "UPDATE " + table_ + " SET id = " + std::to_string(next_id_++) +
                 " WHERE id = " + std::to_string(id) + ";";
          break;
        default:
          sql += "DELETE FROM " + table_ + " WHERE id = " + std::to_string(id) + ";";
      }
    }
    sql += "COMMIT;";
    PGresult* r = PQexec(conn_, sql.c_str());
    PQclear(r);
    ++transactions_;
  }

  PGconn* conn_;
  std::string table_;
  int64_t next_id_;
  std::mt19937 rng_;
  uint64_t transactions_ = 0;
};

bool snapshot_done(const std::string& state_path, const std::string& table) {
  return read_file_if_present(state_path).find("\"table\":\"" + table + "\",\"done\":true") !=
         std::string::npos;
}

// Waits until the slot confirmed everything written so far (the stream caught up), then stops it.
void stop_when_caught_up(const LocalPostgres& pg, const std::string& dsn, const std::string& slot,
                         int pid) {
  const std::string now = sql_on(dsn, "SELECT pg_current_wal_insert_lsn()");
  ASSERT_TRUE(eventually(
      [&] {
        return sql_on(dsn, "SELECT confirmed_flush_lsn >= '" + now +
                               "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + slot +
                               "'") == "t";
      },
      120s))
      << "the stream did not catch up";
  (void)pg;
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_for_exit(pid, 60s), std::optional<int>(0));
}

const std::vector<std::string> kColumns = {"id", "v", "note"};
const std::vector<std::string> kKey = {"id"};

class Snapshot : public ::testing::TestWithParam<std::string> {};

std::vector<std::string> with_plugin(std::vector<std::string> args, const std::string& param) {
  const auto plugin = plugin_stream_args(param);
  args.insert(args.begin() + 1, plugin.begin(), plugin.end());
  return args;
}

std::string fresh_dir(const TempDir& dir) {
  std::filesystem::create_directories(dir.path());
  return dir.path();
}

// A role that may log in and replicate, with password "pw" (roles are cluster-wide: it may
// exist from another test).
void ensure_login_role(const std::string& dsn, const std::string& role) {
  sql_on(dsn, "DO $$ BEGIN CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'pw'; "
              "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
}

// A database with table big (id, v, note) of `rows` rows, a slot set up by init for the
// plugin of `param`, and the paths of the stream's files.
struct BigTable {
  BigTable(const LocalPostgres& pg, const std::string& name, const std::string& param, int rows)
      : dir("snap-" + name + "-" + param) {
    const std::string plugin = plugin_of(param) + param.substr(1);
    dsn = pg.fresh_database("snap_" + name + "_" + plugin);
    sql_on(dsn, "CREATE TABLE big (id bigint PRIMARY KEY, v int, note text);"
                "INSERT INTO big SELECT g, g % 100, 'seed' FROM generate_series(1, " +
                    std::to_string(rows) + ") g");
    fresh_dir(dir);
    out = dir.path() + "/out.jsonl";
    state = dir.path() + "/state";
    log = dir.path() + "/log";
    slot = "snap_" + name + "_" + plugin;
    const auto init = run_cli({"init", "--dsn", dsn, "--slot", slot, "--plugin", plugin_of(param)});
    EXPECT_EQ(init.exit_code, 0) << init.err;
  }
  TempDir dir;
  std::string dsn, slot, out, state, log;
};

}  // namespace

TEST_P(Snapshot, WritersDuringTheSnapshotStillReplayToTheTable) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string param = GetParam();
  const std::string plugin = plugin_of(param) + param.substr(1);
  const std::string dsn = pg.fresh_database("snap_writers_" + plugin);
  sql_on(dsn, "CREATE TABLE busy (id bigint PRIMARY KEY, v int, note text);"
              "INSERT INTO busy SELECT g, g % 100, 'seed' FROM generate_series(1, 30000) g");
  TempDir dir("snap-writers-" + param);
  fresh_dir(dir);
  const std::string out = dir.path() + "/out.jsonl", state = dir.path() + "/state";
  const std::string slot = "snap_writers_" + plugin;
  std::atomic<bool> stop{false};
  Writer writer(dsn, "busy", 30001, 11);
  std::thread writes([&] { writer.run_until(stop); });
  std::this_thread::sleep_for(200ms);
  const int pid = spawn_cli(with_plugin({"stream", "--quiet", "--dsn", dsn, "--slot", slot,
                                         "--create-slot", "--snapshot", "initial",
                                         "--snapshot-chunk-rows", "700", "--snapshot-state", state,
                                         "--output", out},
                                        param),
                            dir.path() + "/log");
  const bool done = eventually([&] { return snapshot_done(state, "public.busy"); }, 180s);
  std::this_thread::sleep_for(300ms);  // writes after the snapshot too
  stop = true;
  writes.join();
  ASSERT_TRUE(done) << read_file_if_present(dir.path() + "/log");
  EXPECT_GT(writer.transactions(), 10u) << "the writers must overlap the snapshot";
  stop_when_caught_up(pg, dsn, slot, pid);
  const auto events = parse_jsonl(read_file(out));
  size_t reads = 0;
  for (const auto& e : events) reads += e.op == "read";
  EXPECT_GT(reads, 20000u);
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.busy", kKey), table_rows(dsn, "busy", kColumns, kKey));
}

TEST_P(Snapshot, KillNineDuringTheSnapshotResumesWithEveryRowOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string param = GetParam();
  BigTable t(pg, "kill", param, 120000);
  const std::string &dsn = t.dsn, &slot = t.slot, &out = t.out, &state = t.state;
  TempDir& dir = t.dir;
  const std::vector<std::string> args =
      with_plugin({"stream", "--quiet", "--dsn", dsn, "--slot", slot, "--snapshot", "initial",
                   "--snapshot-chunk-rows", "300", "--batch-size", "70", "--snapshot-state", state,
                   "--output", out},
                  param);
  std::atomic<bool> stop{false};
  Writer writer(dsn, "big", 120001, 5);
  std::thread writes([&] { writer.run_until(stop); });
  std::mt19937 rng(3);
  int kills = 0;
  while (kills < 8 && !snapshot_done(state, "public.big")) {
    const int pid = spawn_cli(args, dir.path() + "/log");
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 450));
    kill(pid, SIGKILL);
    wait_for_exit(pid, 10s);
    ++kills;
    ASSERT_TRUE(eventually([&] {
      return sql_on(dsn, "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot +
                             "'") == "f";
    }));
  }
  EXPECT_GE(kills, 2) << "the snapshot finished before it could be interrupted";
  const int pid = spawn_cli(args, dir.path() + "/log");
  const bool done = eventually([&] { return snapshot_done(state, "public.big"); }, 180s);
  stop = true;
  writes.join();
  ASSERT_TRUE(done) << read_file_if_present(dir.path() + "/log");
  stop_when_caught_up(pg, dsn, slot, pid);
  const auto events = parse_jsonl(read_file(out));
  // Also when a kill -9 cut the file's write of a batch of reads short: no row read twice.
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.big", kKey), table_rows(dsn, "big", kColumns, kKey));
  if (HasFailure() && std::getenv("SABOT_KEEP_FAILED")) {
    std::ofstream dump(dir.path() + "/table.txt");
    for (const auto& r : query_on(dsn, "SELECT id, v, note, xmin FROM big ORDER BY id")) {
      dump << r[0].value_or("") << " " << r[1].value_or("") << " " << r[2].value_or("") << " "
           << r[3].value_or("") << "\n";
    }
    dump.close();
    std::filesystem::copy(dir.path(), std::string("/tmp/snapfail-") + param,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_P(Snapshot, OnlyReadsEveryKindOfTableAsInsertsRenderTheSameRows) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string param = GetParam();
  const std::string plugin = plugin_of(param) + param.substr(1);
  const std::string dsn = pg.fresh_database("snap_kinds_" + plugin);
  const std::string types =
      "(id int, code text, n numeric(12,3), f float8, b bool, ts timestamptz, d date, "
      "j jsonb, u uuid, arr int[], big text, esc text, bin bytea, gone text, "
      "PRIMARY KEY (id, code))";
  const std::string row =
      "(7, 'x:y', 12.5, 1.25, true, '2026-01-02 03:04:05.678901+00', '2026-05-06', "
      "'{\"a\": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,2,3}', "
      "repeat(md5('t'), 4000), "
      // What COPY's text format escapes (tab, newline, backslash, \N) and what it sends as is.
      "E'tab\\there\\nnew\\\\back \\\\N \\x01 \\r\\b\\f\\013 end', '\\x00ff5c0a'::bytea, NULL)";
  sql_on(dsn, "CREATE TABLE kinds_read " + types + "; INSERT INTO kinds_read VALUES " + row + ";"
              "CREATE TABLE nokey (a int, b text); INSERT INTO nokey VALUES (1,'x'),(1,'x'),(2,NULL);"
              "CREATE TABLE parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);"
              "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);"
              "CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (100) TO (200);"
              "INSERT INTO parted SELECT g, 'p' || g FROM generate_series(1, 199) g");
  TempDir dir("snap-kinds-" + param);
  const std::string slot = "snap_kinds_" + plugin;
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", slot, "--plugin", plugin_of(param)}).exit_code,
            0);
  const auto only = run_cli(with_plugin({"stream", "--quiet", "--dsn", dsn, "--slot", slot,
                                         "--snapshot", "only", "--snapshot-chunk-rows", "50",
                                         "--snapshot-state", fresh_dir(dir) + "/state"},
                                        param));
  ASSERT_EQ(only.exit_code, 0) << only.err;
  const auto reads = parse_jsonl(only.out);
  // Partitions are named as the stream names their changes: by the partition.
  expect_same_rows(replay(reads, "public.parted_1", {"id"}),
                   table_rows(dsn, "parted_1", {"id", "v"}, {"id"}));
  expect_same_rows(replay(reads, "public.parted_2", {"id"}),
                   table_rows(dsn, "parted_2", {"id", "v"}, {"id"}));
  std::multiset<std::string> nokey;
  for (const auto& e : reads) {
    if (e.table == "nokey") nokey.insert(e.columns.at("a") + "," + e.columns.at("b"));
  }
  EXPECT_EQ(nokey, (std::multiset<std::string>{"1,\"x\"", "1,\"x\"", "2,null"}));
  // A read row and an insert of the same row give the same columns (TOAST value included).
  sql_on(dsn, "CREATE TABLE kinds_insert " + types + "; INSERT INTO kinds_insert VALUES " + row);
  const std::string now = sql_on(dsn, "SELECT pg_current_wal_insert_lsn()");
  const auto streamed = run_cli(with_plugin(
      {"stream", "--quiet", "--dsn", dsn, "--slot", slot, "--end-lsn", now}, param));
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  const auto inserts = parse_jsonl(streamed.out);
  const JsonEvent* read = nullptr;
  const JsonEvent* insert = nullptr;
  for (const auto& e : reads) if (e.table == "kinds_read") read = &e;
  for (const auto& e : inserts) if (e.table == "kinds_insert" && e.op == "insert") insert = &e;
  ASSERT_TRUE(read && insert) << only.out;
  EXPECT_EQ(read->columns, insert->columns);
  EXPECT_EQ(read->columns.at("big").size(), 32u * 4000 + 2);
  EXPECT_EQ(read->columns.at("esc"),
            "\"tab\\there\\nnew\\\\back \\\\N \\u0001 \\r\\b\\f\\u000b end\"");
  EXPECT_EQ(read->columns.at("bin"), "\"\\\\x00ff5c0a\"");
  EXPECT_EQ(read->columns.at("gone"), "null");
  // Done once: the next start does not read again.
  const auto again = run_cli(with_plugin({"stream", "--quiet", "--dsn", dsn, "--slot", slot,
                                          "--snapshot", "only", "--snapshot-state",
                                          dir.path() + "/state"},
                                         param));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("\"op\":\"read\""), std::string::npos) << again.out;
}

// The number of progress lines the snapshot wrote for `table` so far.
size_t progress_lines(const std::string& state_path, const std::string& table) {
  const std::string text = read_file_if_present(state_path);
  const std::string needle = "\"table\":\"" + table + "\"";
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Waits until the snapshot of `table` wrote `more` progress lines beyond what it had.
bool progresses(const std::string& state_path, const std::string& table, size_t more) {
  const size_t before = progress_lines(state_path, table);
  return eventually([&] { return progress_lines(state_path, table) >= before + more; }, 120s);
}

TEST_P(Snapshot, ServerRestartsAndLostConnectionsMidSnapshotResumeWithEveryRowOnce) {
  LocalPostgres pg;  // its own cluster: it is restarted below
  const std::string param = GetParam();
  BigTable t(pg, "restart", param, 150000);
  const std::string &dsn = t.dsn, &slot = t.slot, &out = t.out, &state = t.state;
  TempDir& dir = t.dir;
  const int pid = spawn_cli(
      with_plugin({"stream", "--quiet", "--dsn", dsn, "--slot", slot, "--snapshot", "initial",
                   "--snapshot-chunk-rows", "300", "--batch-size", "70", "--reconnect-max-ms",
                   "500", "--snapshot-state", state, "--output", out},
                  param),
      dir.path() + "/log");
  std::atomic<bool> stop{false};
  Writer writer(dsn + " application_name=writer", "big", 150001, 17);
  std::thread writes([&] { writer.run_until(stop); });
  ASSERT_TRUE(progresses(state, "public.big", 5)) << read_file_if_present(dir.path() + "/log");
  // Lost connections: the snapshot's own (reader and marker) and the stream's walsender.
  sql_on(dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
              "application_name = 'sabot-cdc' AND pid <> pg_backend_pid()");
  ASSERT_TRUE(progresses(state, "public.big", 5)) << read_file_if_present(dir.path() + "/log");
  pg.restart("fast");
  ASSERT_TRUE(progresses(state, "public.big", 5)) << read_file_if_present(dir.path() + "/log");
  EXPECT_FALSE(snapshot_done(state, "public.big")) << "the faults must hit the snapshot";
  pg.restart("immediate");
  const bool done = eventually([&] { return snapshot_done(state, "public.big"); }, 240s);
  std::this_thread::sleep_for(300ms);
  stop = true;
  writes.join();
  ASSERT_TRUE(done) << read_file_if_present(dir.path() + "/log");
  EXPECT_EQ(wait_for_exit(pid, 0ms), std::nullopt) << "the stream must ride the faults out";
  stop_when_caught_up(pg, dsn, slot, pid);
  const std::string log = read_file_if_present(dir.path() + "/log");
  EXPECT_NE(log.find("reconnect"), std::string::npos) << log;
  const auto events = parse_jsonl(read_file(out));
  // Finished parts are not read again, and the file holds every row exactly once.
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.big", kKey), table_rows(dsn, "big", kColumns, kKey));
}

// Rows as a consumer that applied the schema changes holds them: only `columns`, a column the
// row never had (added after it was delivered) as null.
std::map<std::string, Row> in_columns(const std::map<std::string, Row>& rows,
                                      const std::vector<std::string>& columns) {
  std::map<std::string, Row> shaped;
  for (const auto& [key, row] : rows) {
    Row& out = shaped[key];
    for (const std::string& c : columns) {
      const auto it = row.find(c);
      out[c] = it == row.end() ? "null" : it->second;
    }
  }
  return shaped;
}

TEST_P(Snapshot, ATableAlteredDuringItsSnapshotStillReplaysToTheTable) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string param = GetParam();
  BigTable t(pg, "alter", param, 60000);
  const int pid = spawn_cli(with_plugin({"stream", "--quiet", "--dsn", t.dsn, "--slot", t.slot,
                                         "--snapshot", "initial", "--snapshot-workers", "3",
                                         "--snapshot-chunk-rows", "200", "--snapshot-state",
                                         t.state, "--output", t.out},
                                        param),
                            t.log);
  ASSERT_TRUE(progresses(t.state, "public.big", 3)) << read_file_if_present(t.log);
  // While the table is being read: a column added and filled for some rows, another dropped,
  // and a type change that rewrites the table (a snapshot older than a rewrite sees it empty).
  sql_on(t.dsn, "ALTER TABLE big ADD COLUMN extra int;"
                "UPDATE big SET extra = id, v = v + 1 WHERE id % 5 = 0;"
                "ALTER TABLE big DROP COLUMN note;"
                "ALTER TABLE big ALTER COLUMN v TYPE bigint");
  EXPECT_FALSE(snapshot_done(t.state, "public.big")) << "the changes must hit the snapshot";
  ASSERT_TRUE(eventually([&] { return snapshot_done(t.state, "public.big"); }, 180s))
      << read_file_if_present(t.log);
  stop_when_caught_up(pg, t.dsn, t.slot, pid);
  const auto events = parse_jsonl(read_file(t.out));
  expect_no_duplicates(events, kKey);
  const std::vector<std::string> now = {"id", "v", "extra"};
  expect_same_rows(in_columns(replay(events, "public.big", kKey), now),
                   table_rows(t.dsn, "big", now, kKey));
}

// The connections of this database seen running a chunk's read (its COPY (SELECT ...) TO
// STDOUT), sampled until `stop`.
class ChunkReadSampler {
 public:
  ChunkReadSampler(const std::string& dsn, const std::atomic<bool>& stop)
      : thread_([this, dsn, &stop] { sample(dsn, stop); }) {}
  ~ChunkReadSampler() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::set<int>& readers() const { return readers_; }

 private:
  void sample(const std::string& dsn, const std::atomic<bool>& stop) {
    PGconn* conn = PQconnectdb(dsn.c_str());
    while (!stop.load()) {
      PGresult* r = PQexec(conn,
                           "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE "
                           "'COPY (SELECT %'");
      if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int row = 0; row < PQntuples(r); ++row) readers_.insert(std::atoi(PQgetvalue(r, row, 0)));
      }
      PQclear(r);
      std::this_thread::sleep_for(1ms);
    }
    PQfinish(conn);
  }
  std::set<int> readers_;
  std::thread thread_;
};

// The keys of the reads of `table`, in the order they were delivered.
std::vector<int64_t> read_ids(const std::vector<JsonEvent>& events, const std::string& table) {
  std::vector<int64_t> ids;
  for (const JsonEvent& e : events) {
    if (e.op != "read" || e.schema + "." + e.table != table) continue;
    std::string id = e.columns.at("id");  // JSON text: a number, or a string for wide integers
    if (!id.empty() && id.front() == '"') id = id.substr(1, id.size() - 2);
    ids.push_back(std::stoll(id));
  }
  return ids;
}

// Chunks of 20,000 rows delivered to a file fsynced every 200: the workers read chunks of the one
// table ahead of the stream (each up to its read-ahead bound, then it waits until its chunk is
// delivered), so several connections read the table, and its rows still arrive in key order.
TEST_P(Snapshot, ChunksOfOneTableAreReadBySeveralConnectionsAndDeliveredInKeyOrder) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string param = GetParam();
  BigTable t(pg, "parallel", param, 200000);
  std::atomic<bool> stop{false};
  Writer writer(t.dsn, "big", 200001, 23);
  std::thread writes([&] { writer.run_until(stop); });
  ChunkReadSampler sampler(t.dsn, stop);
  const int pid = spawn_cli(with_plugin({"stream", "--quiet", "--dsn", t.dsn, "--slot", t.slot,
                                         "--snapshot", "initial", "--snapshot-workers", "3",
                                         "--snapshot-chunk-rows", "20000", "--batch-size", "200",
                                         "--snapshot-state", t.state, "--output", t.out},
                                        param),
                            t.log);
  const bool done = eventually([&] { return snapshot_done(t.state, "public.big"); }, 180s);
  stop = true;
  writes.join();
  sampler.join();
  ASSERT_TRUE(done) << read_file_if_present(t.log);
  stop_when_caught_up(pg, t.dsn, t.slot, pid);
  EXPECT_GE(sampler.readers().size(), 2u) << "one table's chunks must be read by several connections";
  const auto events = parse_jsonl(read_file(t.out));
  // Delivered as a prefix of the keys that grows: every read's key greater than the one before.
  const std::vector<int64_t> ids = read_ids(events, "public.big");
  EXPECT_GT(ids.size(), 150000u);
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<int64_t>()), ids.end())
      << "reads out of key order";
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.big", kKey), table_rows(t.dsn, "big", kColumns, kKey));
}

INSTANTIATE_TEST_SUITE_P(BothPlugins, Snapshot, ::testing::Values("pg", "w2"), plugin_test_name);

TEST(SnapshotOnDemand, ARunningStreamReadsATableAgainWhenAsked) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("snap_demand");
  sql_on(dsn, "CREATE TABLE before_stream (id bigint PRIMARY KEY, v int, note text);"
              "INSERT INTO before_stream SELECT g, g, 'old' FROM generate_series(1, 5000) g");
  TempDir dir("snap-demand");
  fresh_dir(dir);
  const std::string out = dir.path() + "/out.jsonl";
  const auto idle = run_cli({"snapshot", "--dsn", dsn, "--slot", "snap_demand", "--tables",
                             "public.before_stream"});
  EXPECT_EQ(idle.exit_code, 1);
  EXPECT_NE(idle.err.find("no logical replication slot named \"snap_demand\""), std::string::npos)
      << idle.err;
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "snap_demand"}).exit_code, 0);
  const auto none = run_cli({"snapshot", "--dsn", dsn, "--slot", "snap_demand", "--tables",
                             "public.before_stream"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no stream is running"), std::string::npos) << none.err;
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "snap_demand",
                             "--snapshot-state", dir.path() + "/state", "--output", out},
                            dir.path() + "/log");
  ASSERT_TRUE(eventually([&] {
    return sql_on(dsn, "SELECT active FROM pg_replication_slots WHERE slot_name = 'snap_demand'") ==
           "t";
  }));
  std::atomic<bool> stop{false};
  Writer writer(dsn, "before_stream", 5001, 9);
  std::thread writes([&] { writer.run_until(stop); });
  const auto asked = run_cli({"snapshot", "--dsn", dsn, "--slot", "snap_demand", "--tables",
                              "public.before_stream"});
  EXPECT_EQ(asked.exit_code, 0) << asked.err;
  const bool done =
      eventually([&] { return snapshot_done(dir.path() + "/state", "public.before_stream"); }, 60s);
  stop = true;
  writes.join();
  ASSERT_TRUE(done) << read_file_if_present(dir.path() + "/log");
  stop_when_caught_up(pg, dsn, "snap_demand", pid);
  const auto events = parse_jsonl(read_file(out));
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.before_stream", kKey),
                   table_rows(dsn, "before_stream", kColumns, kKey));
}

// pgoutput sends the changes of the publication's tables only: a table outside it is not read
// either (its reads would never be followed by its changes).
TEST(SnapshotPublication, PgoutputReadsOnlyThePublicationsTables) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("snap_pub");
  sql_on(dsn, "CREATE TABLE published (id int PRIMARY KEY, v text);"
              "CREATE TABLE unpublished (id int PRIMARY KEY, v text);"
              "INSERT INTO published SELECT g, 'p' FROM generate_series(1, 30) g;"
              "INSERT INTO unpublished SELECT g, 'u' FROM generate_series(1, 40) g;"
              "CREATE PUBLICATION only_published FOR TABLE published");
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "snap_pub", "--publication",
                     "only_published"})
                .exit_code,
            0);
  TempDir dir("snap-pub");
  const auto only = run_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "snap_pub",
                             "--publication", "only_published", "--snapshot", "only",
                             "--snapshot-state", fresh_dir(dir) + "/state"});
  ASSERT_EQ(only.exit_code, 0) << only.err;
  size_t published = 0;
  for (const auto& e : parse_jsonl(only.out)) {
    EXPECT_EQ(e.table, "published") << "read a table outside the publication";
    if (e.table == "published" && e.op == "read") ++published;
  }
  EXPECT_EQ(published, 30u);
}

TEST(SnapshotErrors, ATableTheRoleMayNotReadNamesTheGrant) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("snap_grant");
  ensure_login_role(dsn, "snap_reader");
  sql_on(dsn, "CREATE TABLE secret (id int PRIMARY KEY); REVOKE ALL ON secret FROM snap_reader");
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "snap_grant"}).exit_code, 0);
  TempDir dir("snap-grant");
  fresh_dir(dir);
  std::string reader_dsn = dsn + " user=snap_reader password=pw";
  const auto result = run_cli({"stream", "--quiet", "--dsn", reader_dsn, "--slot", "snap_grant",
                               "--snapshot", "only", "--snapshot-state", dir.path() + "/state"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("GRANT SELECT ON public.secret TO snap_reader"), std::string::npos)
      << result.err;
}

TEST(SnapshotErrors, ATableDroppedDuringItsSnapshotIsSkippedAndTheStreamGoesOn) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("snap_drop");
  sql_on(dsn, "CREATE TABLE doomed (id bigint PRIMARY KEY, v int, note text);"
              "INSERT INTO doomed SELECT g, g, 'd' FROM generate_series(1, 300000) g;"
              "CREATE TABLE kept (id bigint PRIMARY KEY, v int, note text);"
              "INSERT INTO kept SELECT g, g, 'k' FROM generate_series(1, 3000) g");
  TempDir dir("snap-drop");
  fresh_dir(dir);
  const std::string out = dir.path() + "/out.jsonl", state = dir.path() + "/state";
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "snap_drop"}).exit_code, 0);
  // One worker, the big table first: it is being read when it is dropped.
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "snap_drop",
                             "--tables", "public.doomed,public.kept", "--snapshot", "initial",
                             "--snapshot-workers", "1", "--snapshot-chunk-rows", "200",
                             "--snapshot-state", state, "--output", out},
                            dir.path() + "/log");
  ASSERT_TRUE(progresses(state, "public.doomed", 3)) << read_file_if_present(dir.path() + "/log");
  sql_on(dsn, "DROP TABLE doomed");
  ASSERT_TRUE(eventually([&] { return snapshot_done(state, "public.kept"); }, 120s))
      << read_file_if_present(dir.path() + "/log");
  sql_on(dsn, "INSERT INTO kept VALUES (3001, 1, 'after')");
  stop_when_caught_up(pg, dsn, "snap_drop", pid);
  const std::string log = read_file_if_present(dir.path() + "/log");
  EXPECT_NE(log.find("public.doomed was dropped while being read; skipped"), std::string::npos)
      << log;
  const auto events = parse_jsonl(read_file(out));
  size_t doomed_reads = 0;
  for (const auto& e : events) doomed_reads += e.table == "doomed" && e.op == "read";
  EXPECT_GT(doomed_reads, 0u);
  EXPECT_LT(doomed_reads, 300000u);
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.kept", kKey), table_rows(dsn, "kept", kColumns, kKey));
}

namespace {

// A fresh database `name` (with a slot of that name made by `sabot-cdc init`) whose `table`,
// made by `setup`, login role `role` may read under a 1 s statement_timeout; returns its DSN.
std::string database_under_timeout(const std::string& name, const std::string& role,
                                   const std::string& table, const std::string& setup) {
  const std::string dsn = LocalPostgres::shared().fresh_database(name);
  ensure_login_role(dsn, role);
  sql_on(dsn, setup + "GRANT SELECT ON " + table + " TO " + role + ";ALTER ROLE " + role +
                  " SET statement_timeout = '1s'");
  const auto init = run_cli({"init", "--dsn", dsn, "--slot", name});
  EXPECT_EQ(init.exit_code, 0) << init.err;
  return dsn;
}

}  // namespace

// A worker that has read its chunk's 8 MB ahead waits for the stream to take pieces. Under a
// role's statement_timeout that wait must not count against a statement: a sink that stalls
// (here stdout, not read for 3 s mid-snapshot) would otherwise cancel the chunk's read and end
// the stream with exit 1.
TEST(SnapshotErrors, ASinkStalledLongerThanTheStatementTimeoutMidChunkCostsNothing) {
  // 300,000 rows of about 215 bytes: chunks of 50,000 rows (10 MB) exceed the read-ahead.
  const std::string dsn = database_under_timeout(
      "snap_stall", "snap_staller", "wide_notes",
      "CREATE TABLE wide_notes (id bigint PRIMARY KEY, v int, note text);"
      "INSERT INTO wide_notes SELECT g, g, repeat('n', 200) || g FROM generate_series(1, 300000) g;");
  TempDir dir("snap-stall");
  fresh_dir(dir);
  const std::string log = dir.path() + "/log";
  const std::string command =
      shell_quote(SABOT_CLI_PATH) + " stream --quiet --dsn " +
      shell_quote(dsn + " user=snap_staller password=pw") +
      " --slot snap_stall --snapshot only --snapshot-state " + shell_quote(dir.path() + "/state") +
      " 2>" + shell_quote(log);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  bool stalled = false;
  char buffer[1 << 16];
  while (const size_t got = fread(buffer, 1, sizeof buffer, pipe)) {
    out.append(buffer, got);
    if (!stalled && out.size() > (1u << 20)) {
      std::this_thread::sleep_for(3s);  // the sink stalls: the stream blocks writing stdout
      stalled = true;
    }
  }
  const int status = pclose(pipe);
  ASSERT_TRUE(stalled) << read_file_if_present(log);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file_if_present(log);
  const auto events = parse_jsonl(out);
  ASSERT_EQ(events.size(), 300000u);
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.wide_notes", kKey),
                   table_rows(dsn, "wide_notes", kColumns, kKey));
}

TEST(SnapshotErrors, AStatementTimeoutStopsWithTheFixAndTheSnapshotResumesOnceLifted) {
  // Each row costs 5 ms to read (a row-level security policy that sleeps), so a FETCH of a
  // piece of the chunk runs past the role's 1 s statement_timeout.
  const std::string dsn = database_under_timeout(
      "snap_timeout", "snap_slow", "slow",
      "CREATE TABLE slow (id bigint PRIMARY KEY, v int, note text);"
      "INSERT INTO slow SELECT g, g, 's' FROM generate_series(1, 400) g;"
      "ALTER TABLE slow ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY sleepy ON slow FOR SELECT USING (pg_sleep(0.005) IS NOT NULL);");
  TempDir dir("snap-timeout");
  fresh_dir(dir);
  const std::string role_dsn = dsn + " user=snap_slow password=pw";
  const std::vector<std::string> args = {"stream", "--quiet", "--dsn", role_dsn, "--slot",
                                         "snap_timeout", "--snapshot", "only",
                                         "--snapshot-state", dir.path() + "/state"};
  const auto failed = run_cli(args);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("the snapshot of public.slow failed"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("statement_timeout"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("ALTER ROLE snap_slow SET statement_timeout = 0"), std::string::npos)
      << failed.err;
  EXPECT_EQ(failed.out.find("\"op\":\"read\""), std::string::npos) << failed.out;
  sql_on(dsn, "ALTER ROLE snap_slow RESET statement_timeout");
  const auto resumed = run_cli(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto events = parse_jsonl(resumed.out);
  expect_no_duplicates(events, kKey);
  expect_same_rows(replay(events, "public.slow", kKey), table_rows(dsn, "slow", kColumns, kKey));
}
