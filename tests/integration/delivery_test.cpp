// Delivery guarantees under faults (issue: never lose a change): kill -9 of the stream at random
// points, server restarts mid-stream, a consumer failing mid-transaction, filtered-out and idle
// databases. The truth is the list of changes the workload made, in commit order; the file sink's
// output must equal it exactly: nothing lost, nothing duplicated, nothing reordered.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "delivery_workload.hpp"
#include "files.hpp"
#include "json_events.hpp"
#include "local_postgres.hpp"
#include "sabot/sabot.hpp"
#include "slot_polling.hpp"

using namespace sabot::test;
using namespace std::chrono_literals;

namespace {

// Lines in the file so far; 0 before the stream has created it.
size_t line_count(const std::string& path) {
  const std::string text = read_file_if_present(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST(Delivery, KillNineAtRandomPointsStillDeliversEveryChangeExactlyOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE kill_t (id bigint PRIMARY KEY, v int, pad text)");
  create_slot(pg, "kill_slot");
  const std::string out = pg.dir() + "/kill.jsonl";
  const std::vector<std::string> args = {"stream", "--quiet", "--dsn", pg.dsn(), "--slot",
                                         "kill_slot", "--output", out, "--batch-size", "50"};
  Workload workload(pg, "kill_t", /*seed=*/20261126);
  std::atomic<bool> workload_done{false};
  std::thread writer([&] {
    workload.run(50000);
    workload_done = true;
  });
  std::mt19937 rng(7);
  int kills = 0;
  std::vector<size_t> lines_at_kill;
  while (!workload_done || kills < 10) {
    const int pid = spawn_cli(args, pg.dir() + "/kill.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));  // a random point
    kill(pid, SIGKILL);
    wait_for_exit(pid, 10s);
    ++kills;
    lines_at_kill.push_back(line_count(out));
  }
  writer.join();
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  auto final_run = run_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "kill_slot",
                            "--output", out, "--end-lsn", end.to_string()});
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
  const auto events = parse_jsonl(read_file(out));
  std::string progress;
  for (size_t lines : lines_at_kill) progress += " " + std::to_string(lines);
  std::printf("kill -9 points: %d (lines in the file at each:%s); changes expected: %zu, "
              "in file: %zu\n",
              kills, progress.c_str(), workload.expected().size(), events.size());
  // The kills landed while the stream was writing, not only before or after it.
  EXPECT_TRUE(std::any_of(lines_at_kill.begin(), lines_at_kill.end(), [&](size_t lines) {
    return lines > 0 && lines < workload.expected().size();
  }));
  EXPECT_GE(kills, 10);
  EXPECT_GE(workload.expected().size(), 50000u);
  expect_exactly_once(events, workload.expected());
}

TEST(Delivery, ServerRestartsMidStreamAreSurvivedWithoutLossOrDuplicates) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE restart_t (id bigint PRIMARY KEY, v int, pad text)");
  create_slot(pg, "restart_slot");
  const std::string out = pg.dir() + "/restart.jsonl";
  const std::string log = pg.dir() + "/restart.log";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "restart_slot",
                             "--output", out, "--reconnect-max-ms", "500"},
                            log);
  Workload workload(pg, "restart_t", /*seed=*/42);
  workload.run(3000);
  ASSERT_TRUE(eventually([&] { return line_count(out) > 0; }));  // streaming, mid-workload
  pg.restart("fast");
  workload.reconnect();
  workload.run(3000);
  pg.restart("immediate");
  workload.reconnect();
  workload.run(3000);
  const size_t want = workload.expected().size();
  const bool complete = eventually([&] { return line_count(out) >= want; }, 90s);
  kill(pid, SIGTERM);
  const auto code = wait_for_exit(pid, 20s);
  ASSERT_TRUE(complete) << "only " << line_count(out) << " of " << want << " changes arrived\n"
                        << read_file(log);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << read_file(log);
  EXPECT_NE(read_file(log).find("reconnected"), std::string::npos) << read_file(log);
  expect_exactly_once(parse_jsonl(read_file(out)), workload.expected());
}

TEST(Delivery, ConsumerFailingMidTransactionConfirmsNothingOfItAndGetsItAgain) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE fail_t (id int PRIMARY KEY)");
  create_slot(pg, "fail_slot");
  pg.sql("INSERT INTO fail_t VALUES (1)");
  pg.sql("INSERT INTO fail_t SELECT generate_series(2, 31)");  // 30 rows: 3 batches of 10
  const sabot::Lsn end = pg.current_wal_insert_lsn();
  sabot::PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = "fail_slot";
  config.batch_size = 10;
  config.end_lsn = end;
  sabot::Lsn first_tx_end, failed_tx_commit;
  {
    sabot::PostgresCdcConnector connector(config);
    auto first = connector.next_batch();
    ASSERT_TRUE(first && first->last_in_transaction);
    connector.acknowledge(*first);
    first_tx_end = first->end_lsn;
    auto part = connector.next_batch();  // first third of the big transaction
    ASSERT_TRUE(part && !part->last_in_transaction);
    connector.acknowledge(*part);  // acknowledged, but its transaction is not complete
    failed_tx_commit = part->commit_lsn;
    // The consumer fails here: close without taking the rest.
    connector.close();
  }
  // Confirmed: all of the first transaction, and at most a keepalive position inside the WAL of
  // the failed one — never its commit record, so it is decoded again.
  const sabot::Lsn confirmed = confirmed_flush_lsn(pg, "fail_slot");
  EXPECT_GE(confirmed, first_tx_end);
  EXPECT_LE(confirmed, failed_tx_commit) << confirmed.to_string();
  sabot::PostgresCdcConnector again(config);
  std::vector<int64_t> ids;
  for (const sabot::ChangeBatch& batch : again.stream_batches()) {
    for (const sabot::ChangeEvent& e : batch) ids.push_back(e.column("id")->value.as_int64());
  }
  ASSERT_EQ(ids.size(), 30u);  // the whole transaction again, from its first row
  EXPECT_EQ(ids.front(), 2);
  EXPECT_EQ(ids.back(), 31);
}

TEST(Delivery, WritesOnlyToFilteredOutTablesStillAdvanceTheSlot) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE quiet_t (id int PRIMARY KEY); CREATE TABLE busy_t (id int PRIMARY KEY)");
  create_slot(pg, "quiet_slot");
  const std::string out = pg.dir() + "/quiet.jsonl";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "quiet_slot",
                             "--tables", "public.quiet_t", "--output", out,
                             "--status-interval-ms", "200"},
                            pg.dir() + "/quiet.log");
  for (int i = 0; i < 20; ++i) {
    pg.sql("INSERT INTO busy_t SELECT generate_series(" + std::to_string(i * 100) + ", " +
           std::to_string(i * 100 + 99) + ")");
  }
  const sabot::Lsn after_writes = pg.current_wal_insert_lsn();
  const bool advanced =
      eventually([&] { return confirmed_flush_lsn(pg, "quiet_slot") >= after_writes; }, 15s);
  kill(pid, SIGTERM);
  wait_for_exit(pid, 20s);
  EXPECT_TRUE(advanced) << "confirmed_flush_lsn "
                        << confirmed_flush_lsn(pg, "quiet_slot").to_string() << " stayed behind "
                        << after_writes.to_string();
  EXPECT_EQ(line_count(out), 0u);
}

TEST(Delivery, HeartbeatAdvancesTheSlotOfAnIdleDatabaseAndStaysInvisible) {
  LocalPostgres& pg = LocalPostgres::shared();
  create_slot(pg, "idle_slot");
  const sabot::Lsn start = confirmed_flush_lsn(pg, "idle_slot");
  const std::string out = pg.dir() + "/idle.jsonl";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "idle_slot",
                             "--output", out, "--status-interval-ms", "100", "--heartbeat-ms",
                             "100"},
                            pg.dir() + "/idle.log");
  // Nobody writes: only heartbeats can move the slot, past where it was created.
  const bool advanced =
      eventually([&] { return confirmed_flush_lsn(pg, "idle_slot") > start; }, 15s);
  kill(pid, SIGTERM);
  wait_for_exit(pid, 20s);
  EXPECT_TRUE(advanced);
  EXPECT_EQ(line_count(out), 0u) << "heartbeats must not reach the consumer";
}

TEST(Delivery, StatusShowsTheRunningStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE status_t (id int PRIMARY KEY)");
  create_slot(pg, "status_slot");
  const std::string status_file = pg.dir() + "/status.json";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "status_slot",
                             "--output", pg.dir() + "/status.jsonl", "--status-file", status_file},
                            pg.dir() + "/status.log");
  pg.sql("INSERT INTO status_t VALUES (1)");
  CommandResult status;
  const bool shown = eventually([&] {
    status = run_cli({"status", "--dsn", pg.dsn(), "--slot", "status_slot", "--json",
                      "--status-file", status_file});
    return status.out.find("\"active\":true") != std::string::npos &&
           status.out.find("\"events\":1") != std::string::npos;
  });
  kill(pid, SIGTERM);
  wait_for_exit(pid, 20s);
  ASSERT_TRUE(shown) << status.out << status.err;
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("\"retained_wal_bytes\":"), std::string::npos);
  EXPECT_NE(status.out.find("\"last_commit_time\":\"20"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("\"seconds_behind\":"), std::string::npos);
  auto text = run_cli({"status", "--dsn", pg.dsn(), "--slot", "status_slot"});
  EXPECT_NE(text.out.find("confirmed_flush_lsn"), std::string::npos) << text.out;
  auto warn = run_cli({"status", "--dsn", pg.dsn(), "--warn-retained-bytes", "0"});
  EXPECT_NE(warn.err.find("retains"), std::string::npos) << warn.err;
}

TEST(Delivery, ADroppedSlotStopsTheStreamWithAClearMessageInsteadOfRetrying) {
  LocalPostgres& pg = LocalPostgres::shared();
  create_slot(pg, "doomed_slot");
  const std::string log = pg.dir() + "/doomed.log";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "doomed_slot",
                             "--output", pg.dir() + "/doomed.jsonl", "--reconnect-max-ms", "200"},
                            log);
  ASSERT_TRUE(eventually([&] {
    return pg.sql("SELECT active FROM pg_replication_slots WHERE slot_name = 'doomed_slot'") == "t";
  }));
  // Kill its walsender and drop the slot before the stream reconnects.
  pg.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
         "WHERE slot_name = 'doomed_slot'");
  ASSERT_TRUE(eventually([&] {
    return pg.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'doomed_slot' "
                  "AND NOT active") == "1";
  }));
  pg.sql("SELECT pg_drop_replication_slot('doomed_slot')");
  const auto code = wait_for_exit(pid, 30s);
  if (!code) kill(pid, SIGKILL);
  ASSERT_TRUE(code) << "still retrying after the slot was dropped\n" << read_file(log);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(read_file(log).find("\"doomed_slot\" does not exist any more"), std::string::npos)
      << read_file(log);
}

TEST(Delivery, AHugeStreamedTransactionSpillsToDiskAndArrivesWhole) {
  // logical_decoding_work_mem = 64kB makes the server stream the transaction while it runs;
  // a 1 MB memory limit makes the client spill it.
  LocalPostgres pg({"logical_decoding_work_mem = '64kB'"});
  pg.sql("CREATE TABLE spill_t (id int PRIMARY KEY, pad text)");
  create_slot(pg, "spill_slot");
  pg.sql("INSERT INTO spill_t SELECT g, repeat('s', 200) FROM generate_series(1, 30000) g");
  const std::string spill_dir = pg.dir() + "/spill";
  const std::string out = pg.dir() + "/spill.jsonl";
  auto r = run_cli({"stream", "--quiet", "--dsn", pg.dsn(), "--slot", "spill_slot", "--output",
                    out, "--end-lsn", pg.current_wal_insert_lsn().to_string(), "--spill-dir",
                    spill_dir, "--memory-limit-mb", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto events = parse_jsonl(read_file(out));
  ASSERT_EQ(events.size(), 30000u);
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].columns.at("id"), std::to_string(i + 1));
    ASSERT_EQ(events[i].seq, i);
  }
  size_t leftover = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(spill_dir)) ++leftover;
  EXPECT_EQ(leftover, 0u) << "spill files must be removed after commit";
}
