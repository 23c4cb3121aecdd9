// The delivery runtime (run_sink, include/sabot/sink.hpp) with user-defined sinks, against a real
// PostgreSQL: retryable errors are retried until the sink takes the batch (nothing lost, retries
// counted and logged), a permanent error stops with the sink's name, the error and the position,
// attempts run out, a long pause keeps the replication connection, and a pipelined sink is
// acknowledged in stream order.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "local_postgres.hpp"
#include "sabot/metrics.hpp"
#include "sabot/sabot.hpp"
#include "slot_polling.hpp"

using namespace sabot;
using sabot::test::LocalPostgres;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A table with `rows` rows inserted in transactions of 10, and a slot created before them.
void make_backlog(const LocalPostgres& pg, const std::string& name, int rows) {
  pg.sql("CREATE TABLE " + name + " (id int PRIMARY KEY, v text)");
  pg.sql(
      "DO $$ BEGIN CREATE PUBLICATION sabot_cdc FOR ALL TABLES; "
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
  pg.sql("SELECT pg_create_logical_replication_slot('" + name + "_slot', 'pgoutput')");
  for (int first = 1; first <= rows; first += 10) {
    pg.sql("INSERT INTO " + name + " SELECT g, 'v' || g FROM generate_series(" +
           std::to_string(first) + ", " + std::to_string(first + 9) + ") g");
  }
}

struct TestRun {
  PostgresCdcConfig config;
  std::shared_ptr<StreamMetrics> metrics = std::make_shared<StreamMetrics>();
  std::vector<std::string> log;
};

TestRun run_for(const LocalPostgres& pg, const std::string& name) {
  TestRun run;
  run.config.dsn = pg.dsn();
  run.config.slot_name = name + "_slot";
  run.config.tables = {"public." + name};
  run.config.end_lsn = pg.current_wal_insert_lsn();
  run.config.metrics = run.metrics;
  return run;
}

DeliveryOptions quick_retries(int attempts = 0) {
  DeliveryOptions options;
  options.retry.initial_delay = std::chrono::milliseconds(5);
  options.retry.max_delay = std::chrono::milliseconds(20);
  options.retry.max_attempts = attempts;
  return options;
}

// The error run_sink() stops with (a test failure if it returns).
CdcError run_sink_error(const TestRun& run, Sink& sink, const DeliveryOptions& options) {
  try {
    PostgresCdcConnector connector(run.config);
    run_sink(connector, sink, options);
  } catch (const CdcError& e) {
    return e;
  }
  ADD_FAILURE() << "run_sink returned";
  return CdcError(ErrorKind::Internal, "run_sink returned");
}

// Ids of the events a sink took, in the order it took them.
struct Received {
  std::vector<int> ids;
  void add(const ChangeBatch& batch) {
    for (const ChangeEvent& e : batch.events)
      ids.push_back(std::stoi(std::string(e.columns[0].value.text())));
  }
};

std::vector<int> one_to(int n) {
  std::vector<int> out;
  for (int i = 1; i <= n; ++i) out.push_back(i);
  return out;
}

// Fails its first `failures` writes with an error of its own kind ("timed out"), which it says is
// retryable; then takes every batch.
class FlakySink : public Sink {
 public:
  explicit FlakySink(int failures) : failures_left_(failures) {}
  void write(const ChangeBatch& batch) override {
    ++attempts;
    if (failures_left_ > 0) {
      --failures_left_;
      throw std::runtime_error("the service timed out");
    }
    received.add(batch);
  }
  bool is_retryable(const std::exception& error) const override {
    return contains(error.what(), "timed out");
  }
  void reset() override { ++resets; }
  std::string name() const override { return "flaky-service"; }

  Received received;
  int attempts = 0;
  int resets = 0;

 private:
  int failures_left_;
};

}  // namespace

TEST(SinkDelivery, RetryableErrorsAreRetriedUntilTheSinkTakesTheBatchAndNothingIsLost) {
  LocalPostgres& pg = LocalPostgres::shared();
  make_backlog(pg, "sd_flaky", 50);
  TestRun run = run_for(pg, "sd_flaky");
  run.config.log = [&](std::string_view line) { run.log.emplace_back(line); };
  FlakySink sink(3);
  {
    PostgresCdcConnector connector(run.config);
    run_sink(connector, sink, quick_retries());
  }
  EXPECT_EQ(sink.received.ids, one_to(50)) << "every row once, in order";
  EXPECT_EQ(sink.attempts, 5 + 3);  // 5 transactions, the first one tried 4 times
  EXPECT_EQ(sink.resets, 3);
  EXPECT_EQ(run.metrics->sink_retries.load(), 3u);
  int retry_lines = 0;
  for (const std::string& line : run.log) {
    if (contains(line, "flaky-service: write() failed: the service timed out; retrying in")) {
      ++retry_lines;
    }
  }
  EXPECT_EQ(retry_lines, 3);
  // Everything was acknowledged: a new connector has nothing more up to the end.
  PostgresCdcConnector again(run.config);
  EXPECT_FALSE(again.next_batch().has_value());
}

TEST(SinkDelivery, APermanentErrorStopsWithTheSinkTheErrorAndThePosition) {
  LocalPostgres& pg = LocalPostgres::shared();
  make_backlog(pg, "sd_perm", 20);
  TestRun run = run_for(pg, "sd_perm");
  struct RejectingSink : Sink {
    int writes = 0;
    Lsn first_commit_lsn;
    void write(const ChangeBatch& batch) override {
      if (writes++ == 0) first_commit_lsn = batch.commit_lsn;
      throw std::invalid_argument("value 'v1' rejected by the schema registry");
    }
    std::string name() const override { return "registry-sink"; }
  } sink;
  const CdcError e = run_sink_error(run, sink, quick_retries());
  EXPECT_EQ(e.kind(), ErrorKind::Consumer);
  EXPECT_TRUE(contains(e.what(), "value 'v1' rejected by the schema registry")) << e.what();
  EXPECT_TRUE(contains(e.what(), "sink: registry-sink")) << e.what();
  EXPECT_TRUE(contains(e.what(), "commit_lsn " + sink.first_commit_lsn.to_string() + " seq 0"))
      << e.what();
  EXPECT_EQ(sink.writes, 1) << "a permanent error is not retried";
  EXPECT_EQ(run.metrics->sink_retries.load(), 0u);
  PostgresCdcConnector again(run.config);
  auto batch = again.next_batch();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->commit_lsn, sink.first_commit_lsn) << "not acknowledged: it comes again";
}

TEST(SinkDelivery, RetriesStopAfterTheConfiguredAttempts) {
  LocalPostgres& pg = LocalPostgres::shared();
  make_backlog(pg, "sd_attempts", 10);
  TestRun run = run_for(pg, "sd_attempts");
  struct DownSink : Sink {
    int writes = 0;
    void write(const ChangeBatch&) override {
      ++writes;
      throw RetryableSinkError("connection refused by 127.0.0.1:1");
    }
  } sink;
  const CdcError e = run_sink_error(run, sink, quick_retries(2));
  EXPECT_TRUE(contains(e.what(), "connection refused by 127.0.0.1:1")) << e.what();
  EXPECT_TRUE(contains(e.what(), "after 2 retries")) << e.what();
  EXPECT_EQ(sink.writes, 3);  // the first try and 2 retries
  EXPECT_EQ(run.metrics->sink_retries.load(), 2u);
}

// While the sink is down the stream does not read the replication socket; the status updates
// keep_alive() sends stop the server from ending the connection (wal_sender_timeout, 1 s here).
TEST(SinkDelivery, ALongSinkOutageKeepsTheReplicationConnection) {
  LocalPostgres& pg = LocalPostgres::shared();
  make_backlog(pg, "sd_pause", 30);
  TestRun run = run_for(pg, "sd_pause");
  run.config.dsn = pg.dsn() + " options='-c wal_sender_timeout=1000'";
  run.config.status_interval = std::chrono::milliseconds(200);
  struct SlowToComeBackSink : Sink {
    std::chrono::steady_clock::time_point back_at{};
    Received received;
    void write(const ChangeBatch& batch) override {
      if (back_at == std::chrono::steady_clock::time_point{}) {
        back_at = std::chrono::steady_clock::now() + std::chrono::seconds(4);
      }
      if (std::chrono::steady_clock::now() < back_at) throw RetryableSinkError("sink down");
      received.add(batch);
    }
  } sink;
  DeliveryOptions options = quick_retries();
  options.retry.max_delay = std::chrono::milliseconds(300);
  {
    PostgresCdcConnector connector(run.config);
    run_sink(connector, sink, options);
  }
  EXPECT_EQ(sink.received.ids, one_to(30));
  EXPECT_GE(run.metrics->sink_retries.load(), 5u);
  EXPECT_EQ(run.metrics->reconnects.load(), 0u) << "the server ended the paused connection";
}

// A sink with several batches in flight: run_sink submits ahead, awaits in order, and acknowledges
// only what was awaited, contiguously.
TEST(SinkDelivery, APipelinedSinkIsAwaitedAndAcknowledgedInStreamOrder) {
  LocalPostgres& pg = LocalPostgres::shared();
  make_backlog(pg, "sd_pipe", 100);
  TestRun run = run_for(pg, "sd_pipe");
  struct PipelinedSink : Sink {
    std::vector<ChangeBatch> sent;  // submitted, not awaited
    Received durable;
    size_t most_in_flight = 0;
    int awaits = 0;
    void write(const ChangeBatch& batch) override {
      submit(batch);
      await_oldest();
    }
    size_t max_in_flight() const override { return 4; }
    void submit(const ChangeBatch& batch) override {
      sent.push_back(batch);
      most_in_flight = std::max(most_in_flight, sent.size());
    }
    void await_oldest() override {
      if (++awaits == 2) throw RetryableSinkError("lost the replies");
      durable.add(sent.front());
      sent.erase(sent.begin());
    }
    void reset() override { sent.clear(); }  // what was in flight is submitted again
  } sink;
  {
    PostgresCdcConnector connector(run.config);
    run_sink(connector, sink, quick_retries());
  }
  EXPECT_EQ(sink.durable.ids, one_to(100));
  EXPECT_GT(sink.most_in_flight, 1u);
  EXPECT_LE(sink.most_in_flight, 4u);
  EXPECT_EQ(run.metrics->sink_retries.load(), 1u);
  EXPECT_EQ(run.metrics->sink_queued_events.load(), 0u);
  PostgresCdcConnector again(run.config);
  EXPECT_FALSE(again.next_batch().has_value()) << "every batch was acknowledged";
}
