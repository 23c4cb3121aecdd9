// Bad input gets a clear error and a non-zero exit: each case against a real server.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "files.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "slot_polling.hpp"
#include "text.hpp"

using namespace sabot::test;

namespace {

CommandResult stream(const std::string& dsn, const std::string& slot,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"stream", "--dsn", dsn, "--slot", slot, "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

}  // namespace

TEST(Errors, WrongPasswordNamesAuthentication) {
  LocalPostgres& pg = LocalPostgres::shared();
  auto r = stream(pg.tcp_dsn("sabot", "not-the-password"), "any_slot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "authentication")) << r.err;
  EXPECT_TRUE(contains(r.err, "password")) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(Errors, UnreachableServerNamesHostAndPort) {
  auto r = stream("host=127.0.0.1 port=1 user=sabot dbname=sabot connect_timeout=3", "any_slot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "cannot connect to PostgreSQL at 127.0.0.1:1")) << r.err;
}

// libpq's message ends in a question; the advice follows it as a sentence of its own.
TEST(Errors, ConnectionRefusedReadsAsSentences) {
  auto r = stream("host=127.0.0.1 port=1 user=sabot dbname=sabot connect_timeout=3", "any_slot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "connections? Check that the server is running")) << r.err;
  EXPECT_FALSE(contains(r.err, "?.")) << r.err;
}

TEST(Errors, WalLevelNotLogicalNamesTheSettingAndFix) {
  LocalPostgres replica_level({"wal_level = replica"});
  auto r = stream(replica_level.dsn(), "s", {"--create-slot"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "wal_level is 'replica'")) << r.err;
  EXPECT_TRUE(contains(r.err, "ALTER SYSTEM SET wal_level = logical")) << r.err;
  auto init = run_cli({"init", "--dsn", replica_level.dsn()});
  EXPECT_EQ(init.exit_code, 1);
  EXPECT_TRUE(contains(init.err, "wal_level")) << init.err;
}

TEST(Errors, MissingPluginSaysHowToInstallIt) {
  // An empty dynamic_library_path hides wal2json.so from this server, as if never installed.
  LocalPostgres no_plugins({"dynamic_library_path = '/nonexistent-sabot-libdir'"});
  auto r = stream(no_plugins.dsn(), "s", {"--create-slot", "--plugin", "wal2json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "not installed")) << r.err;
  EXPECT_TRUE(contains(r.err, "postgresql-15-wal2json")) << r.err;
}

TEST(Errors, MissingSlotWithoutCreateSlot) {
  LocalPostgres& pg = LocalPostgres::shared();
  auto r = stream(pg.dsn(), "no_such_slot");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "\"no_such_slot\" does not exist")) << r.err;
  EXPECT_TRUE(contains(r.err, "--create-slot")) << r.err;
}

TEST(Errors, InvalidSlotNameAndPatternAndLsn) {
  LocalPostgres& pg = LocalPostgres::shared();
  auto bad_slot = stream(pg.dsn(), "Bad-Slot");
  EXPECT_EQ(bad_slot.exit_code, 1);
  EXPECT_TRUE(contains(bad_slot.err, "invalid slot name")) << bad_slot.err;
  auto bad_pattern = stream(pg.dsn(), "s", {"--tables", "a.b.c"});
  EXPECT_EQ(bad_pattern.exit_code, 1);
  EXPECT_TRUE(contains(bad_pattern.err, "invalid table pattern 'a.b.c'")) << bad_pattern.err;
  auto bad_lsn = stream(pg.dsn(), "s", {"--end-lsn", "12345"});
  EXPECT_EQ(bad_lsn.exit_code, 1);
  EXPECT_TRUE(contains(bad_lsn.err, "--end-lsn '12345' is not an LSN")) << bad_lsn.err;
}

TEST(Errors, SlotActiveInAnotherConnection) {
  LocalPostgres& pg = LocalPostgres::shared();
  create_slot(pg, "busy_slot");
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "busy_slot"},
                            pg.dir() + "/busy.out");
  // Wait (bounded) until the first stream holds the slot; no fixed sleep.
  ASSERT_TRUE(
      eventually([&] { return slot_is_active(pg, "busy_slot"); }, std::chrono::seconds(10)));
  auto r = stream(pg.dsn(), "busy_slot");
  kill(pid, SIGTERM);
  EXPECT_TRUE(wait_for_exit(pid, std::chrono::seconds(20)));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "\"busy_slot\" is already active for PID")) << r.err;
  EXPECT_TRUE(contains(r.err, "another consumer")) << r.err;
}

TEST(Errors, MalformedPluginMessageNamesTheLsnAndLosesNothing) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE chunk_t (id int PRIMARY KEY, pad text)");
  create_slot(pg, "chunk_slot", {"--plugin", "wal2json"});
  pg.sql("INSERT INTO chunk_t VALUES (1, 'first')");
  // A first, clean run acknowledges transaction 1.
  auto first = stream_to_now(pg, "chunk_slot", {"--plugin", "wal2json", "--format-version", "1"});
  ASSERT_EQ(first.size(), 1u);
  const sabot::Lsn confirmed_before = confirmed_flush_lsn(pg, "chunk_slot");
  pg.sql("INSERT INTO chunk_t SELECT g, repeat('x', 100) FROM generate_series(2, 50) g");
  // write-in-chunks makes wal2json split each transaction's document over several messages:
  // each one alone is a truncated document, which must stop the stream with the LSN named.
  const sabot::Lsn workload_end = pg.current_wal_insert_lsn();
  auto r = stream(pg.dsn(), "chunk_slot",
                  {"--plugin", "wal2json", "--format-version", "1", "--plugin-option",
                   "write-in-chunks=1", "--end-lsn",
                   workload_end.to_string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "wal2json")) << r.err;
  EXPECT_TRUE(contains(r.err, "at LSN ")) << r.err;
  EXPECT_TRUE(r.out.empty());
  // The slot may move up to a keepalive position inside the failed transaction (safe: its commit
  // lies beyond, so it is decoded again), never past the transaction's commit.
  const sabot::Lsn confirmed_after = confirmed_flush_lsn(pg, "chunk_slot");
  EXPECT_GE(confirmed_after, confirmed_before);
  EXPECT_LT(confirmed_after, workload_end);
  // Nothing was lost: a normal run delivers all 49 rows.
  auto after = stream_to_now(pg, "chunk_slot", {"--plugin", "wal2json", "--format-version", "1"});
  EXPECT_EQ(after.size(), 49u);
}

TEST(Signals, SigtermStopsCleanlyAndConfirmsWhatWasWritten) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE sig_t (id int PRIMARY KEY)");
  create_slot(pg, "sig_slot");
  pg.sql("INSERT INTO sig_t VALUES (1)");
  const sabot::Lsn after_insert = pg.current_wal_insert_lsn();
  const std::string out_path = pg.dir() + "/sig.out";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "sig_slot"}, out_path);
  ASSERT_TRUE(eventually([&] { return contains(read_file_if_present(out_path), "\"insert\""); },
                         std::chrono::seconds(10)));
  kill(pid, SIGTERM);
  auto code = wait_for_exit(pid, std::chrono::seconds(20));
  ASSERT_TRUE(code) << "stream did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << read_file(out_path);
  EXPECT_GE(confirmed_flush_lsn(pg, "sig_slot"), after_insert);
}
