// Slot health: a slot the server invalidated stops `stream` at once with a message that says what
// was lost and how to recover (never a reconnect loop), `status` exits 2 for it, and `status`
// exits 1 when --warn-retained-bytes is crossed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "local_postgres.hpp"

using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::sql_on;

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
