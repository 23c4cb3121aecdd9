// The NATS JetStream sink against a real nats-server (scripts/nats-local, its own port and file
// store) and a real PostgreSQL: subjects, headers and bodies of a mixed workload, exactly once
// across kill -9 of sabot-cdc and across a nats-server restart (counted by Nats-Msg-Id and
// compared with the SQL truth), and the permanent errors' messages.
#include "sabot/nats_sink.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "delivery_workload.hpp"
#include "files.hpp"
#include "json_events.hpp"
#include "local_nats.hpp"
#include "local_postgres.hpp"
#include "sabot/sabot.hpp"
#include "sinks/nats/nats_url.hpp"
#include "slot_polling.hpp"

using namespace sabot;
using namespace std::chrono_literals;
using sabot::test::LocalNats;
using sabot::test::LocalPostgres;
using sabot::test::NatsRecord;

namespace {

ChangeEvent row_event(Op op, std::string_view schema, std::string_view table, uint64_t commit_lsn,
                      uint32_t seq) {
  ChangeEvent e;
  e.op = op;
  e.schema = schema;
  e.table = table;
  e.commit_lsn = Lsn(commit_lsn);
  e.lsn = Lsn(commit_lsn);
  e.seq = seq;
  e.transaction_id = 700;
  return e;
}

ChangeBatch batch_of(std::vector<ChangeEvent> events) {
  ChangeBatch batch;
  batch.commit_lsn = events.front().commit_lsn;
  batch.events = std::move(events);
  return batch;
}

// The bodies of `records` as JSON Lines (the default rendering is one sabot JSON object).
std::vector<test::JsonEvent> bodies_of(const std::vector<NatsRecord>& records) {
  std::string lines;
  for (const NatsRecord& r : records) lines += r.data + "\n";
  return test::parse_jsonl(lines);
}

// Message ids that occur more than once in the stream.
size_t repeated_ids(const std::vector<NatsRecord>& records) {
  std::map<std::string, int> seen;
  size_t repeated = 0;
  for (const NatsRecord& r : records) {
    if (++seen[r.headers.at("Nats-Msg-Id")] == 2) ++repeated;
  }
  return repeated;
}

std::vector<std::string> nats_stream_args(const LocalPostgres& pg, const std::string& slot,
                                          const LocalNats& nats, const std::string& stream) {
  return {"stream", "--quiet",  "--dsn",         pg.dsn(), "--slot",       slot,
          "--sink", nats.url(), "--nats-stream", stream,   "--batch-size", "50"};
}

// Creates Workload table NAME_t and slot NAME_slot; returns the arguments that stream the table
// into stream STREAM (created by sabot-cdc).
std::vector<std::string> workload_stream(const LocalPostgres& pg, const LocalNats& nats,
                                         const std::string& name, const std::string& stream) {
  const std::string table = name + "_t";
  pg.sql("CREATE TABLE " + table + " (id bigint PRIMARY KEY, v int, pad text)");
  test::create_slot(pg, name + "_slot", {"--tables", "public." + table});
  auto args = nats_stream_args(pg, name + "_slot", nats, stream);
  args.insert(args.end(), {"--tables", "public." + table});
  return args;
}

}  // namespace

TEST(NatsSubjects, TemplatesExpandPerOpAndEscapeNamesIntoOneToken) {
  ChangeEvent insert = row_event(Op::Insert, "public", "orders", 100, 0);
  EXPECT_EQ(nats_subject("sabot.{schema}.{table}", insert), "sabot.public.orders");
  EXPECT_EQ(nats_subject("cdc.{table}.{op}", insert), "cdc.orders.insert");
  ChangeEvent odd = row_event(Op::Delete, "My Schema", "we.ird*%", 100, 1);
  EXPECT_EQ(nats_subject("sabot.{schema}.{table}.{op}", odd),
            "sabot.My%20Schema.we%2Eird%2A%25.delete");
  ChangeEvent read = row_event(Op::Read, "public", "orders", 100, 2);
  EXPECT_EQ(nats_subject("x.{op}", read), "x.insert") << "a snapshot row goes where inserts go";
  ChangeEvent message = row_event(Op::Message, "", "", 100, 3);
  message.message_prefix = "audit";
  EXPECT_EQ(nats_subject("sabot.{schema}.{table}", message), "sabot._message.audit");
  message.message_prefix = "";
  EXPECT_EQ(nats_subject("sabot.{schema}.{table}", message), "sabot._message._");
  EXPECT_EQ(nats_stream_subjects("sabot.{schema}.{table}"), "sabot.*.*");
  EXPECT_EQ(nats_stream_subjects("cdc.t_{table}.x"), "cdc.*.x");
  EXPECT_EQ(nats_message_id({Lsn(0x1A2B3C4), 17}), "0/1A2B3C4:17");
  for (const char* bad : {"", "a..b", "a.*", "a.>", "a.{nope}", "a.{schema", "a b", ".a"}) {
    try {
      nats_stream_subjects(bad);
      ADD_FAILURE() << "accepted template '" << bad << "'";
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config) << bad;
    }
  }
}

TEST(NatsSinkUrl, ParsesServersCredentialsAndTlsAndHidesThePassword) {
  using sinks::nats::parse_nats_url;
  const auto url = parse_nats_url("nats://cdc:s3cret@nats1:4333,nats2");
  EXPECT_EQ(url.servers, (std::vector<std::string>{"nats://nats1:4333", "nats://nats2:4222"}));
  EXPECT_EQ(url.user, "cdc");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.redacted, "nats://cdc:********@nats1:4333,nats2");
  EXPECT_TRUE(parse_nats_url("tls://h:1").tls);
  for (const char* bad : {"nats://", "nats://h:0", "nats://h:x", "http://h:1", "h:1"}) {
    EXPECT_THROW(parse_nats_url(bad), CdcError) << bad;
  }
  try {
    parse_nats_url("nats://u:topsecret@h:99999");
    FAIL();
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }
}

TEST(NatsSink, ARedeliveredBatchIsDroppedByTheServerAndTheRendererIsPluggable) {
  LocalNats nats;
  NatsSinkOptions options;
  options.url = nats.url();
  options.stream = "REDELIVER";
  options.render = [](std::string& out, const ChangeEvent& e) {
    out += "custom:" + std::string(e.table) + ":" + std::to_string(e.seq);
  };
  auto sink = make_nats_sink(options);
  ChangeBatch batch = batch_of({row_event(Op::Insert, "public", "a", 100, 0),
                                row_event(Op::Update, "public", "b", 100, 1),
                                row_event(Op::Truncate, "public", "a", 100, 2)});
  sink->write(batch);
  sink->write(batch);  // a redelivery: same positions, same message ids
  EXPECT_EQ(sink->stats().published, 6u);
  EXPECT_EQ(sink->stats().duplicates, 3u);
  const auto records = nats.read_stream("REDELIVER");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].data, "custom:a:0");
  EXPECT_EQ(records[2].subject, "sabot.public.a");
  EXPECT_EQ(records[2].headers.at("Sabot-Op"), "truncate");
  EXPECT_EQ(records[1].headers.at("Nats-Msg-Id"), "0/64:1");
  EXPECT_EQ(records[1].headers.at("Sabot-Xid"), "700");
}

// Several batches in flight: each submit() returns before its PubAcks; await_oldest() then
// accounts for the batches one by one, in order; a reset() after a failed wait takes back what
// was in flight, and submitting it again stores nothing twice.
TEST(NatsSink, BatchesInFlightAreAwaitedInOrderAndSubmittedAgainWithoutDuplicates) {
  LocalNats nats;
  NatsSinkOptions options;
  options.url = nats.url();
  options.stream = "INFLIGHT";
  auto sink = make_nats_sink(options);
  EXPECT_GT(sink->max_in_flight(), 1u);
  std::vector<ChangeBatch> batches;
  for (uint64_t lsn = 100; lsn < 105; ++lsn) {
    batches.push_back(batch_of({row_event(Op::Insert, "public", "f", lsn, 0),
                                row_event(Op::Update, "public", "f", lsn, 1)}));
  }
  for (const ChangeBatch& batch : batches) sink->submit(batch);
  for (size_t awaited = 1; awaited <= batches.size(); ++awaited) {
    sink->await_oldest();
    EXPECT_EQ(sink->stats().batches, awaited);
    EXPECT_EQ(sink->stats().published, 2 * awaited) << "the oldest batch's PubAcks only";
  }
  sink->submit(batches[3]);
  sink->submit(batches[4]);
  sink->reset();  // as after a failed wait: both are submitted again
  sink->submit(batches[3]);
  sink->submit(batches[4]);
  sink->await_oldest();
  sink->await_oldest();
  EXPECT_EQ(sink->stats().duplicates, 4u);
  const auto records = nats.read_stream("INFLIGHT");
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(repeated_ids(records), 0u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].headers.at("Nats-Msg-Id"), fmt::format("0/{:X}:{}", 100 + i / 2, i % 2))
        << "stored in stream order";
  }
}

// The delivery runtime's use of a sink, in small: a window of batches submitted ahead, the oldest
// awaited; after a retryable failure reset() and every batch of the window submitted again, in
// order. Meanwhile nats-server is stopped or killed -9 four times at set points of the progress.
// The stream must end with every message once and in publish order: a lost connection must not
// let a later batch be stored ahead of earlier ones that died with the old socket.
TEST(NatsSink, BatchesInFlightStayInOrderAcrossServerRestartsAndCrashes) {
  LocalNats nats;
  NatsSinkOptions options;
  options.url = nats.url();
  options.stream = "ORDER";
  options.ack_timeout = 2s;
  auto sink = make_nats_sink(options);
  ASSERT_GT(sink->max_in_flight(), 1u);
  constexpr size_t kBatches = 2500;
  constexpr uint32_t kPerBatch = 10;
  std::vector<ChangeBatch> batches;
  for (size_t b = 0; b < kBatches; ++b) {
    std::vector<ChangeEvent> events;
    for (uint32_t seq = 0; seq < kPerBatch; ++seq) {
      events.push_back(row_event(Op::Insert, "public", seq % 2 ? "odd" : "even", 1000 + b, seq));
    }
    batches.push_back(batch_of(std::move(events)));
  }
  std::atomic<size_t> acknowledged{0};
  std::atomic<bool> finished{false};
  // Joined on every way out of the test (an ASSERT returns early).
  struct Joined {
    std::atomic<bool>& finished;
    std::thread thread;
    ~Joined() {
      finished = true;
      if (thread.joinable()) thread.join();
    }
  } blinker{finished, std::thread([&] {
              for (size_t blink = 1; blink <= 4; ++blink) {
                while (!finished && acknowledged < blink * kBatches / 5) {
                  std::this_thread::sleep_for(5ms);
                }
                if (finished) return;
                if (blink % 2) {
                  nats.stop();
                } else {
                  nats.crash();
                }
                std::this_thread::sleep_for(300ms);
                nats.start();
              }
            })};
  std::deque<size_t> window;  // indexes of the batches submitted, oldest first
  size_t next = 0;
  size_t failures = 0;
  bool submit_window_again = false;
  while (next < kBatches || !window.empty()) {
    try {
      if (submit_window_again) {
        submit_window_again = false;
        for (size_t index : window) sink->submit(batches[index]);
      }
      while (next < kBatches && window.size() < sink->max_in_flight()) {
        window.push_back(next);
        sink->submit(batches[next++]);
      }
      sink->await_oldest();
      window.pop_front();
      ++acknowledged;
    } catch (const CdcError& e) {
      ASSERT_TRUE(e.retryable()) << e.what();
      ASSERT_LT(++failures, 2000u) << e.what();
      sink->reset();
      submit_window_again = true;
      std::this_thread::sleep_for(20ms);
    }
  }
  finished = true;
  blinker.thread.join();
  EXPECT_GT(failures, 0u) << "the server blinks were not felt";

  const auto records = nats.read_stream("ORDER");
  EXPECT_EQ(repeated_ids(records), 0u);
  ASSERT_EQ(records.size(), kBatches * kPerBatch);
  size_t out_of_order = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string want = fmt::format("0/{:X}:{}", 1000 + i / kPerBatch, i % kPerBatch);
    if (records[i].headers.at("Nats-Msg-Id") != want && out_of_order++ < 5) {
      ADD_FAILURE() << "stream position " << i << " holds " << records[i].headers.at("Nats-Msg-Id")
                    << ", not " << want;
    }
  }
  EXPECT_EQ(out_of_order, 0u);
}

TEST(NatsCli, MixedWorkloadArrivesOncePerChangeInOrderPerSubjectWithHeadersAndBodies) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalNats nats;
  pg.sql(
      "CREATE TABLE nats_a (id int PRIMARY KEY, v text);"
      "CREATE TABLE \"nats_b.x\" (id int PRIMARY KEY, n int)");
  test::create_slot(pg, "nats_mixed_slot", {"--plugin", "pgoutput", "--tables", "public.nats_*"});
  pg.sql(
      "INSERT INTO nats_a SELECT g, 'a' || g FROM generate_series(1, 40) g;"
      "INSERT INTO \"nats_b.x\" SELECT g, g FROM generate_series(1, 10) g;");
  pg.sql(
      "BEGIN; UPDATE nats_a SET v = 'u' WHERE id <= 5; DELETE FROM \"nats_b.x\" WHERE id > 8;"
      "SELECT pg_logical_emit_message(true, 'audit', 'hello'); COMMIT;");
  pg.sql("TRUNCATE nats_a; INSERT INTO nats_a VALUES (99, 'after')");
  auto args = nats_stream_args(pg, "nats_mixed_slot", nats, "MIXED");
  args.insert(args.end(), {"--tables", "public.nats_*", "--plugin", "pgoutput", "--end-lsn",
                           pg.current_wal_insert_lsn().to_string(), "--nats-subject",
                           "cdc.{schema}.{table}.{op}"});
  auto run = test::run_cli(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const auto records = nats.read_stream("MIXED");
  const auto events = bodies_of(records);
  ASSERT_EQ(records.size(), 40u + 10 + 5 + 2 + 1 + 1 + 1);
  EXPECT_EQ(repeated_ids(records), 0u);
  std::map<std::string, std::vector<std::string>> ops_by_table;
  for (size_t i = 0; i < records.size(); ++i) {
    const NatsRecord& r = records[i];
    const test::JsonEvent& e = events[i];
    EXPECT_EQ(r.headers.at("Nats-Msg-Id"), e.commit_lsn + ":" + std::to_string(e.seq));
    EXPECT_EQ(r.headers.at("Sabot-Commit-Lsn"), e.commit_lsn);
    EXPECT_EQ(r.headers.at("Sabot-Seq"), std::to_string(e.seq));
    EXPECT_EQ(r.headers.at("Sabot-Xid"), std::to_string(e.xid));
    EXPECT_EQ(r.headers.at("Sabot-Op"), e.op);
    if (e.op == "message") {
      EXPECT_EQ(r.subject, "cdc._message.audit.message");
      EXPECT_EQ(e.content, "hello");
      continue;
    }
    const std::string table = e.table == "nats_b.x" ? "nats_b%2Ex" : e.table;
    EXPECT_EQ(r.subject, "cdc.public." + table + "." + e.op);
    std::string entry = e.op;
    if (e.op != "truncate")
      entry += ":" + (e.op == "delete" ? e.old->at("id") : e.columns.at("id"));
    ops_by_table[e.table].push_back(entry);
  }
  std::vector<std::string> want_a;
  for (int id = 1; id <= 40; ++id) want_a.push_back("insert:" + std::to_string(id));
  for (int id = 1; id <= 5; ++id) want_a.push_back("update:" + std::to_string(id));
  want_a.insert(want_a.end(), {"truncate", "insert:99"});
  EXPECT_EQ(ops_by_table["nats_a"], want_a);
  EXPECT_EQ(ops_by_table["nats_b.x"].size(), 12u);
  EXPECT_EQ(ops_by_table["nats_b.x"].back(), "delete:10");
}

TEST(NatsCli, KillNineAtRandomPointsLeavesEveryChangeInTheStreamExactlyOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalNats nats;
  auto args = workload_stream(pg, nats, "nats_kill", "KILL");
  test::Workload workload(pg, "nats_kill_t", /*seed=*/1414);
  std::atomic<bool> workload_done{false};
  std::thread writer([&] {
    workload.run(20000);
    workload_done = true;
  });
  std::mt19937 rng(14);
  int kills = 0;
  std::vector<uint64_t> stored_at_kill;
  while (!workload_done || kills < 8) {
    const int pid = test::spawn_cli(args, pg.dir() + "/nats_kill.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
    kill(pid, SIGKILL);
    test::wait_for_exit(pid, 10s);
    ++kills;
    stored_at_kill.push_back(nats.message_count("KILL"));
  }
  writer.join();
  args.insert(args.end(), {"--end-lsn", pg.current_wal_insert_lsn().to_string()});
  auto final_run = test::run_cli(args);
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;

  const auto records = nats.read_stream("KILL");
  std::string progress;
  for (uint64_t n : stored_at_kill) progress += " " + std::to_string(n);
  std::printf("kill -9 points: %d (messages in the stream at each:%s); changes: %zu, stored: %zu\n",
              kills, progress.c_str(), workload.expected().size(), records.size());
  EXPECT_TRUE(std::any_of(stored_at_kill.begin(), stored_at_kill.end(), [&](uint64_t n) {
    return n > 0 && n < workload.expected().size();
  })) << "no kill landed mid-stream";
  EXPECT_EQ(repeated_ids(records), 0u);
  test::expect_exactly_once(bodies_of(records), workload.expected());
}

TEST(NatsCli, ANatsServerRestartAndCrashMidStreamAreSurvivedAndEveryChangeStoredOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalNats nats;
  auto args = workload_stream(pg, nats, "nats_restart", "RESTART");
  args.insert(args.end(), {"--nats-ack-timeout-ms", "1000", "--log-level", "warning"});
  const std::string log = pg.dir() + "/nats_restart.log";
  const int pid = test::spawn_cli(args, log);
  test::Workload workload(pg, "nats_restart_t", /*seed=*/99);
  workload.run(3000);
  ASSERT_TRUE(test::eventually([&] { return nats.message_count("RESTART") > 0; }));
  nats.stop();
  workload.run(3000);  // committed while NATS is down: the sink waits and retries
  std::this_thread::sleep_for(1s);
  nats.start();
  workload.run(3000);
  nats.crash();  // kill -9: what was acknowledged is in the store (written before the PubAck)
  workload.run(3000);
  nats.start();
  workload.run(1000);
  const size_t want = workload.expected().size();
  const bool complete =
      test::eventually([&] { return nats.message_count("RESTART") >= want; }, 90s);
  kill(pid, SIGTERM);
  const auto code = test::wait_for_exit(pid, 20s);
  ASSERT_TRUE(complete) << nats.message_count("RESTART") << " of " << want << " stored\n"
                        << test::read_file(log);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << test::read_file(log);
  EXPECT_NE(test::read_file(log).find("NATS sink"), std::string::npos) << test::read_file(log);
  const auto records = nats.read_stream("RESTART");
  EXPECT_EQ(repeated_ids(records), 0u);
  test::expect_exactly_once(bodies_of(records), workload.expected());
}

TEST(NatsCli, PermanentErrorsStopWithTheirMessageAndTheSlotStays) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalNats nats({"--user", "cdc", "--pass", "right-pass"});
  pg.sql("CREATE TABLE nats_err_t (id int PRIMARY KEY)");
  test::create_slot(pg, "nats_err_slot", {"--tables", "public.nats_err_t"});
  pg.sql("INSERT INTO nats_err_t VALUES (1), (2)");
  const Lsn before = test::confirmed_flush_lsn(pg, "nats_err_slot");
  const std::string end = pg.current_wal_insert_lsn().to_string();
  auto stream_to = [&](const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "stream",   "--quiet",           "--dsn",     pg.dsn(), "--slot", "nats_err_slot",
        "--tables", "public.nats_err_t", "--end-lsn", end,      "--sink", url};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_cli(args);
  };
  const std::string good = "nats://cdc:right-pass@127.0.0.1:" + std::to_string(nats.port());

  auto no_stream = stream_to(good, {});
  EXPECT_EQ(no_stream.exit_code, 1);
  EXPECT_NE(no_stream.err.find("no JetStream stream stores subject 'sabot.public.nats_err_t'"),
            std::string::npos)
      << no_stream.err;
  EXPECT_NE(no_stream.err.find("commit_lsn"), std::string::npos) << no_stream.err;

  auto bad_password = stream_to("nats://cdc:wrong-pass@127.0.0.1:" + std::to_string(nats.port()),
                                {"--nats-stream", "ERR"});
  EXPECT_EQ(bad_password.exit_code, 1);
  EXPECT_NE(bad_password.err.find("NATS sink"), std::string::npos) << bad_password.err;
  EXPECT_NE(bad_password.err.find("password"), std::string::npos) << bad_password.err;
  EXPECT_EQ(bad_password.err.find("wrong-pass"), std::string::npos) << bad_password.err;

  auto bad_url = stream_to("nats://127.0.0.1:notaport", {});
  EXPECT_EQ(bad_url.exit_code, 1);
  EXPECT_NE(bad_url.err.find("NATS URL"), std::string::npos) << bad_url.err;
  EXPECT_EQ(test::confirmed_flush_lsn(pg, "nats_err_slot"), before);

  auto ok = stream_to(good, {"--nats-stream", "ERR"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(nats.message_count("ERR"), 2u);
}

TEST(NatsSink, AnUnreachableServerIsARetryableConnectionError) {
  auto nats = std::make_unique<LocalNats>();
  NatsSinkOptions options;
  options.url = nats->url();
  nats.reset();  // nothing listens there any more
  try {
    make_nats_sink(options);
    FAIL() << "connected to a stopped nats-server";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Connection) << e.what();
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("nats-local"), std::string::npos) << e.what();
  }
}

TEST(NatsCli, PipelineFileTakesEveryNatsKey) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalNats nats;
  pg.sql("CREATE TABLE nats_cfg_t (id int PRIMARY KEY)");
  test::create_slot(pg, "nats_cfg_slot", {"--tables", "public.nats_cfg_t"});
  pg.sql("INSERT INTO nats_cfg_t VALUES (1), (2), (3)");
  const std::string file = pg.dir() + "/nats_pipeline.toml";
  std::ofstream(file) << ("[source]\ndsn = \"" + pg.dsn() +
                          "\"\nslot = \"nats_cfg_slot\"\ntables = [\"public.nats_cfg_t\"]\n"
                          "end-lsn = \"" +
                          pg.current_wal_insert_lsn().to_string() + "\"\n[sink]\nsink = \"" +
                          nats.url() +
                          "\"\nnats-stream = \"CFG\"\nnats-subject = \"cfg.{table}.{op}\"\n"
                          "nats-duplicate-window = 600\nnats-ack-timeout-ms = 2000\n"
                          "nats-retry-ms = 0\n[stream]\nquiet = true\n");
  auto run = test::run_cli({"run", "--config", file});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto records = nats.read_stream("CFG");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].subject, "cfg.nats_cfg_t.insert");
}

namespace {

// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`.
void make_test_certificates(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string q = test::shell_quote(dir);
  const auto r = test::run_command(
      "cd " + q +
      " && { openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj '/CN=sabot test CA' && openssl req -newkey rsa:2048 -nodes -keyout server.key "
      "-out server.csr -subj '/CN=127.0.0.1' && printf 'subjectAltName=IP:127.0.0.1\\n' > "
      "ext.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 2 -extfile ext.cnf; } 2>openssl.log");
  if (r.exit_code != 0) {
    throw std::runtime_error("openssl failed: " + test::read_file(dir + "/openssl.log"));
  }
}

}  // namespace

TEST(NatsSink, TlsWithTheServersCaConnectsAndWithoutItIsAPermanentError) {
  test::TempDir dir("nats-tls");
  make_test_certificates(dir.path());
  LocalNats nats(
      {"--tls", "--tlscert", dir.path() + "/server.pem", "--tlskey", dir.path() + "/server.key"});
  NatsSinkOptions options;
  options.url = "tls://127.0.0.1:" + std::to_string(nats.port());
  options.stream = "TLS";
  options.tls_ca_file = dir.path() + "/ca.pem";
  auto sink = make_nats_sink(options);
  const ChangeBatch batch = batch_of(
      {row_event(Op::Insert, "public", "t", 100, 0), row_event(Op::Insert, "public", "t", 100, 1)});
  sink->write(batch);
  sink->write(batch);
  EXPECT_EQ(sink->stats().published, 4u);
  EXPECT_EQ(sink->stats().duplicates, 2u) << "JetStream stored the first copies";

  options.tls_ca_file.clear();  // the server's certificate cannot be verified now
  try {
    make_nats_sink(options);
    FAIL() << "connected without trusting the server's CA";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config) << e.what();
    EXPECT_NE(std::string(e.what()).find("--nats-tls-ca"), std::string::npos) << e.what();
  }
}
