// Slot health: a slot the server invalidated — before the stream starts, or while it runs — stops
// `stream` with exit 1 and a message that says what was lost and how to recover (never a
// reconnect loop), `status` exits 2 for it, `status` exits 1 when --warn-retained-bytes is
// crossed, and a stream (flag or config key, no --metrics-listen needed) logs a warning then.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "local_postgres.hpp"
#include "slot_polling.hpp"

using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::spawn_cli;
using sabot::test::sql_on;
using sabot::test::wait_for_exit;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Writes and switches WAL segments until the server invalidates the slot (bounded).
bool push_wal_until_lost(LocalPostgres& pg, const std::string& slot) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    pg.sql(
        "INSERT INTO public.filler SELECT repeat('x', 1000) FROM generate_series(1, 2000);"
        "SELECT pg_switch_wal(); CHECKPOINT;");
    if (pg.sql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot + "'") ==
        "lost") {
      return true;
    }
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(SlotHealth, InvalidatedSlotStopsWithRecoveryAdviceAndNoRetry) {
  LocalPostgres pg({"max_slot_wal_keep_size = 1MB"});
  pg.sql("CREATE TABLE public.filler (v text); CREATE TABLE public.t (id int PRIMARY KEY)");
  ASSERT_EQ(run_cli({"init", "--dsn", pg.dsn(), "--slot", "doomed"}).exit_code, 0);
  ASSERT_TRUE(push_wal_until_lost(pg, "doomed"));

  const auto started = std::chrono::steady_clock::now();
  const auto r = run_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "doomed"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_TRUE(has(r.err, "has been invalidated")) << r.err;
  EXPECT_TRUE(has(r.err, "new snapshot")) << r.err;
  EXPECT_FALSE(has(r.err, "reconnecting")) << r.err;

  const auto status = run_cli({"status", "--dsn", pg.dsn(), "--slot", "doomed"});
  EXPECT_EQ(status.exit_code, 2) << status.out << status.err;
  EXPECT_TRUE(has(status.err, "invalidated")) << status.err;

  const auto check = run_cli({"check", "--dsn", pg.dsn(), "--slot", "doomed"});
  EXPECT_EQ(check.exit_code, 2) << check.out;
  EXPECT_TRUE(has(check.out, "sabot-cdc slots drop doomed; sabot-cdc init --slot doomed"))
      << check.out;
}

TEST(SlotHealth, StatusExitsNonZeroWhenRetainedWalCrossesTheThreshold) {
  const std::string dsn = LocalPostgres::shared().fresh_database("slot_health_status");
  sql_on(dsn, "CREATE TABLE public.t (id int PRIMARY KEY)");
  sql_on(dsn, "SELECT pg_create_logical_replication_slot('health_retains', 'pgoutput')");
  sql_on(dsn, "INSERT INTO public.t SELECT generate_series(1, 1000)");
  const auto over =
      run_cli({"status", "--dsn", dsn, "--slot", "health_retains", "--warn-retained-bytes", "1"});
  EXPECT_EQ(over.exit_code, 1) << over.out << over.err;
  EXPECT_TRUE(has(over.err, "warning")) << over.err;
  const auto under =
      run_cli({"status", "--dsn", dsn, "--slot", "health_retains", "--warn-retained-bytes",
               "1000000000000", "--warn-lag-seconds", "3600"});
  EXPECT_EQ(under.exit_code, 0) << under.out << under.err;
  sql_on(dsn, "SELECT pg_drop_replication_slot('health_retains')");
}

// The stream is frozen (SIGSTOP) so it confirms nothing while WAL is pushed past
// max_slot_wal_keep_size; the server invalidates the slot and ends its walsender. Resumed
// (SIGCONT), the stream finds its connection gone, and the one reconnect attempt finds the slot
// lost: exit 1 with the recovery advice, not a loop of attempts.
TEST(SlotHealth, SlotInvalidatedWhileStreamingStopsTheStream) {
  LocalPostgres pg({"max_slot_wal_keep_size = 1MB"});
  pg.sql("CREATE TABLE public.filler (v text); CREATE TABLE public.t (id int PRIMARY KEY)");
  const std::string out = pg.dir() + "/live_doomed.out";
  const std::string events = pg.dir() + "/live_doomed.jsonl";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "live_doomed",
                             "--create-slot", "--tables", "public.t", "--output", events},
                            out);
  ASSERT_TRUE(sabot::test::eventually([&] {
    return sabot::test::slot_is_active(pg, "live_doomed");
  })) << read_file(out);
  pg.sql("INSERT INTO public.t VALUES (1)");
  ASSERT_TRUE(sabot::test::eventually([&] { return has(read_file(events), "\"insert\""); }))
      << read_file(out);

  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  const bool lost = push_wal_until_lost(pg, "live_doomed");
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_TRUE(lost);

  const auto code = wait_for_exit(pid, std::chrono::seconds(60));
  if (!code) ::kill(pid, SIGKILL);  // still running: it kept retrying
  const std::string err = read_file(out);
  EXPECT_EQ(code, 1) << err;
  EXPECT_TRUE(has(err, "replication slot \"live_doomed\" has been invalidated")) << err;
  EXPECT_TRUE(has(err, "new snapshot")) << err;
  EXPECT_LE(count_of(err, "reconnecting in"), 1u) << err;
}

// A backlog retained before the stream starts is above the threshold at the watcher's first read:
// the stream warns on stderr, through the flag and through the config key of `run --config`.
TEST(SlotHealth, StreamWarnsWhenRetainedWalCrossesTheThreshold) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("slot_health_warn");
  sql_on(dsn, "CREATE TABLE public.t (id int PRIMARY KEY)");
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "health_warn"}).exit_code, 0);
  sql_on(dsn, "INSERT INTO public.t SELECT generate_series(1, 2000)");
  const std::string toml = pg.dir() + "/health_warn.toml";
  std::ofstream(toml) << "dsn = \"" << dsn << "\"\nslot = \"health_warn\"\n"
                      << "warn-retained-bytes = 1000\nquiet = true\n"
                      << "output = \"" << pg.dir() << "/health_warn_run.jsonl\"\n";
  const std::vector<std::vector<std::string>> commands = {
      {"stream", "--quiet", "--dsn", dsn, "--slot", "health_warn", "--warn-retained-bytes", "1000",
       "--output", pg.dir() + "/health_warn_stream.jsonl"},
      {"run", "--config", toml}};
  for (const auto& args : commands) {
    const std::string out = pg.dir() + "/health_warn_" + args[0] + ".out";
    const int pid = spawn_cli(args, out);
    const bool warned = sabot::test::eventually([&] { return has(read_file(out), "retains"); },
                                                std::chrono::seconds(30));
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_for_exit(pid, std::chrono::seconds(30)), 0) << read_file(out);
    const std::string err = read_file(out);
    EXPECT_TRUE(warned) << args[0] << ": " << err;
    EXPECT_TRUE(has(err, "slot \"health_warn\" retains")) << err;
    EXPECT_TRUE(has(err, "(threshold 1000, --warn-retained-bytes)")) << err;
  }
  sql_on(dsn, "SELECT pg_drop_replication_slot('health_warn')");
}
