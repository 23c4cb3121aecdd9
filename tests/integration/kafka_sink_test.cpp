// The Kafka sink against librdkafka's mock cluster (3 brokers on loopback, in this process, so
// its fault injection is at hand) with sabot-cdc as a child process talking TCP to it, read back
// by an independent client (Debian's python3 confluent_kafka, tests/support/kafka_read.py).
// Expected keys, partitions and values come from the SQL workload and from Kafka's murmur2 as the
// Java client computes it (local_kafka.cpp), never from the sink.
#include "sabot/kafka_sink.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "files.hpp"
#include "json_events.hpp"
#include "local_kafka.hpp"
#include "local_postgres.hpp"
#include "sabot/error.hpp"
#include "sabot/lsn.hpp"
#include "slot_polling.hpp"

using namespace sabot;
using sabot::test::KafkaRecord;
using sabot::test::LocalKafka;
using sabot::test::LocalPostgres;

namespace {

// The Kafka protocol's ApiKey of Produce requests (what the mock's error stacks are keyed by).
constexpr int16_t kProduceApiKey = 0;

std::vector<std::string> stream_args(const LocalPostgres& pg, const LocalKafka& kafka,
                                     const std::string& slot, const std::string& tables,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "stream", "--dsn",     pg.dsn(),    "--slot",
      slot,     "--tables",  tables,      "--quiet",
      "--sink", kafka.url(), "--end-lsn", pg.current_wal_insert_lsn().to_string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The value's "op" and "columns" member `name` (as JSON text), parsed independently.
struct ParsedValue {
  std::string op;
  std::map<std::string, std::string> columns;
};

ParsedValue parse_value(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  ParsedValue v;
  v.op = std::string(std::string_view(doc["op"].get_string()));
  simdjson::dom::object columns;
  if (!doc["columns"].get(columns)) {
    for (auto [name, value] : columns) v.columns[std::string(name)] = simdjson::minify(value);
  }
  return v;
}

EventPosition header_position(const KafkaRecord& r) {
  auto lsn = Lsn::parse(r.headers.at("commit_lsn"));
  if (!lsn) throw std::runtime_error("bad commit_lsn header " + r.headers.at("commit_lsn"));
  return EventPosition{*lsn, static_cast<uint32_t>(std::stoul(r.headers.at("seq")))};
}

std::vector<KafkaRecord> of_topic(const std::vector<KafkaRecord>& all, const std::string& topic) {
  std::vector<KafkaRecord> out;
  for (const KafkaRecord& r : all) {
    if (r.topic == topic) out.push_back(r);
  }
  return out;
}

// Records in produce order per partition → the sequence of (key, value-or-tombstone) per key.
std::map<std::string, std::vector<std::string>> history_per_key(
    const std::vector<KafkaRecord>& records) {
  std::map<std::string, std::vector<std::string>> out;
  for (const KafkaRecord& r : records) {
    if (!r.key) continue;
    out[*r.key].push_back(r.value ? parse_value(*r.value).op : "tombstone");
  }
  return out;
}

}  // namespace

TEST(KafkaPartitioner, Murmur2MatchesTheJavaClientsValues) {
  // Utils.murmur2 of the Java client for these inputs.
  EXPECT_EQ(test::kafka_murmur2("kafka"), 0xd067cf64u);
  EXPECT_EQ(test::kafka_murmur2("giberish123456789"), 0x8f552b0cu);
  EXPECT_EQ(test::kafka_murmur2("1234"), 0x9fc97b14u);
  EXPECT_EQ(test::kafka_murmur2("234"), 0xe7c009cau);
  EXPECT_EQ(test::kafka_murmur2(""), 0x106e08d9u);
}

TEST(KafkaSinkOptionsParsing, UrlsSettingsAndTopics) {
  EXPECT_EQ(parse_kafka_url("kafka://a:9092,b:9093"), "a:9092,b:9093");
  EXPECT_THROW(parse_kafka_url("kafka://a"), CdcError);
  EXPECT_THROW(parse_kafka_url("redis://a:1"), CdcError);
  EXPECT_THROW(parse_kafka_url("kafka://a:x1"), CdcError);
  KafkaSinkOptions options;
  add_kafka_setting(options, "compression.type=lz4");
  ASSERT_EQ(options.settings.size(), 1u);
  EXPECT_EQ(options.settings[0].second, "lz4");
  EXPECT_THROW(add_kafka_setting(options, "novalue"), CdcError);
  EXPECT_EQ(render_kafka_topic("cdc.{schema}.{table}.v1", "public", "orders"),
            "cdc.public.orders.v1");
  options.bootstrap_servers = "127.0.0.1:1";
  options.settings = {{"enable.idempotence", "false"}};
  EXPECT_THROW(make_kafka_sink(options), CdcError);
}

TEST(KafkaCli, MixedWorkloadArrivesWithTheRightTopicKeyPartitionHeadersAndValue) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  pg.sql(
      "CREATE TABLE kmix_a (id int PRIMARY KEY, v text);"
      "CREATE TABLE kmix_b (region text, n int, qty int, PRIMARY KEY (region, n))");
  test::create_slot(pg, "kmix_slot");
  pg.sql("INSERT INTO kmix_a SELECT g, 'a' || g FROM generate_series(1, 20) g");
  pg.sql("INSERT INTO kmix_b VALUES ('eu', 1, 5), ('us', 1, 7), ('eu', 2, 9)");
  pg.sql("UPDATE kmix_a SET v = 'b2' WHERE id = 2");
  pg.sql("UPDATE kmix_a SET id = 100 WHERE id = 1");  // key change
  pg.sql(
      "BEGIN; UPDATE kmix_b SET qty = 6 WHERE region = 'eu' AND n = 1;"
      "DELETE FROM kmix_a WHERE id = 3; SELECT pg_logical_emit_message(true, 'kpfx', 'hi');"
      "DELETE FROM kmix_b WHERE region = 'us'; COMMIT");
  pg.sql("UPDATE kmix_a SET v = 'c2' WHERE id = 2");
  pg.sql("TRUNCATE kmix_b");
  auto r = test::run_cli(stream_args(pg, kafka, "kmix_slot", "public.kmix_*",
                                     {"--kafka-tombstones", "--batch-size", "7"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto all = test::read_kafka(
      kafka.bootstrap(), {"sabot.public.kmix_a", "sabot.public.kmix_b", "sabot.messages"});
  // Every keyed record sits in the partition the Java client's default partitioner picks.
  for (const KafkaRecord& rec : all) {
    if (!rec.key) continue;
    EXPECT_EQ(rec.partition, test::java_default_partition(*rec.key, rec.partitions))
        << rec.topic << " key " << *rec.key;
    ASSERT_EQ(rec.headers.count("commit_lsn"), 1u);
    EXPECT_TRUE(Lsn::parse(rec.headers.at("commit_lsn")).has_value());
    EXPECT_GT(std::stoul(rec.headers.at("xid")), 0u);
    EXPECT_EQ(rec.headers.count("seq"), 1u);
  }

  const auto a = of_topic(all, "sabot.public.kmix_a");
  const auto a_history = history_per_key(a);
  // 20 inserts, 3 updates (one moved id 1 to 100), 1 delete, 2 tombstones (delete, old key).
  EXPECT_EQ(a.size(), 26u);
  EXPECT_EQ(a_history.at("{\"id\":2}"), (std::vector<std::string>{"insert", "update", "update"}));
  EXPECT_EQ(a_history.at("{\"id\":3}"),
            (std::vector<std::string>{"insert", "delete", "tombstone"}));
  EXPECT_EQ(a_history.at("{\"id\":1}"), (std::vector<std::string>{"insert", "tombstone"}));
  EXPECT_EQ(a_history.at("{\"id\":100}"), (std::vector<std::string>{"update"}));
  for (const KafkaRecord& rec : a) {
    if (rec.key == "{\"id\":2}" && rec.value && parse_value(*rec.value).op == "update") {
      const std::string v = parse_value(*rec.value).columns.at("v");
      EXPECT_TRUE(v == "\"b2\"" || v == "\"c2\"") << v;
    }
  }
  // Order per key: the two updates of id 2 in commit order (b2 then c2).
  std::vector<std::string> id2_values;
  for (const KafkaRecord& rec : a) {
    if (rec.key == "{\"id\":2}") id2_values.push_back(parse_value(*rec.value).columns.at("v"));
  }
  EXPECT_EQ(id2_values, (std::vector<std::string>{"\"a2\"", "\"b2\"", "\"c2\""}));

  const auto b = of_topic(all, "sabot.public.kmix_b");
  const auto b_history = history_per_key(b);
  EXPECT_EQ(b_history.at("{\"region\":\"eu\",\"n\":1}"),
            (std::vector<std::string>{"insert", "update"}));
  EXPECT_EQ(b_history.at("{\"region\":\"us\",\"n\":1}"),
            (std::vector<std::string>{"insert", "delete", "tombstone"}));
  size_t truncates = 0;
  for (const KafkaRecord& rec : b) {
    if (!rec.key) {
      ++truncates;
      EXPECT_EQ(parse_value(*rec.value).op, "truncate");
    }
  }
  EXPECT_EQ(truncates, 1u);

  const auto messages = of_topic(all, "sabot.messages");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].key, "\"kpfx\"");
  EXPECT_EQ(parse_value(*messages[0].value).op, "message");
  // The message sits between the transaction's other changes: seq tells where.
  EXPECT_GT(std::stoul(messages[0].headers.at("seq")), 0u);
}

namespace {

// What a stream through injected broker faults left in Kafka: each key's values by first
// position, and how many records were copies of a position already read.
struct FaultRunResult {
  std::map<std::string, std::vector<std::string>> values_per_key;
  size_t copies = 0;
  std::string log;
};

// Streams 300 inserts and 3 updates of every row through retryable Produce errors, a leader
// change of two partitions and a broker down for 1.5 s; reads the topic back.
FaultRunResult stream_through_broker_faults(const std::string& table,
                                            std::vector<std::string> extra_args) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  const std::string topic = "sabot.public." + table;
  const std::string slot = table + "_slot";
  rd_kafka_mock_topic_create(kafka.mock(), topic.c_str(), 4, 3);
  pg.sql("CREATE TABLE " + table + " (id int PRIMARY KEY, v int)");
  test::create_slot(pg, slot);
  pg.sql("INSERT INTO " + table + " SELECT g, 0 FROM generate_series(1, 300) g");
  for (int round = 1; round <= 3; ++round) {
    pg.sql("UPDATE " + table + " SET v = " + std::to_string(round));
  }
  rd_kafka_mock_push_request_errors(
      kafka.mock(), kProduceApiKey, 5, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR__TRANSPORT);
  const std::string log_path = "/tmp/" + table + "-" + std::to_string(getpid()) + ".log";
  extra_args.insert(extra_args.end(), {"--batch-size", "50"});
  const int pid =
      test::spawn_cli(stream_args(pg, kafka, slot, "public." + table, extra_args), log_path);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  rd_kafka_mock_partition_set_leader(kafka.mock(), topic.c_str(), 0, 2);
  rd_kafka_mock_partition_set_leader(kafka.mock(), topic.c_str(), 1, 3);
  rd_kafka_mock_broker_set_down(kafka.mock(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  rd_kafka_mock_broker_set_up(kafka.mock(), 1);
  const auto exit_code = test::wait_for_exit(pid, std::chrono::minutes(3));
  FaultRunResult result;
  result.log = test::read_file(log_path);
  EXPECT_EQ(exit_code, 0) << result.log;

  std::map<std::string, std::string> value_at;  // position -> value, to check copies agree
  for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {topic})) {
    const std::string position = rec.headers.at("commit_lsn") + "/" + rec.headers.at("seq");
    const std::string v = parse_value(*rec.value).columns.at("v");
    const auto [it, first] = value_at.emplace(position, v);
    if (first) {
      result.values_per_key[*rec.key].push_back(v);
    } else {
      EXPECT_EQ(it->second, v) << "two values at position " << position;
      ++result.copies;
    }
  }
  return result;
}

void expect_every_change_once_in_commit_order(const FaultRunResult& result) {
  ASSERT_EQ(result.values_per_key.size(), 300u);
  for (const auto& [key, seen] : result.values_per_key) {
    EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3"})) << key;
  }
}

}  // namespace

TEST(KafkaCli, InjectedBrokerErrorsALeaderChangeAndABrokerDownCostNothing) {
  const FaultRunResult result = stream_through_broker_faults("kfault", {});
  // Nothing lost or reordered: each position once, in commit order per key.
  expect_every_change_once_in_commit_order(result);
  // librdkafka retried every fault itself: sabot-cdc never gave up on the producer and sent the
  // changes again (its delivery runtime would log "retrying").
  EXPECT_EQ(result.log.find("retrying"), std::string::npos) << result.log;
  // A copy of a position is allowed here, as for any at-least-once sink: the mock cluster checks
  // producer sequence numbers only for transactional producers (rd_kafka_mock_validate_records
  // returns early without a transactional id), so a Produce that librdkafka sent again because
  // the broker went down before answering can be appended twice, where a real broker drops it.
  std::fprintf(stderr, "copies appended by the mock: %zu\n", result.copies);
}

TEST(KafkaExactlyOnce, InjectedBrokerErrorsALeaderChangeAndABrokerDownLeaveNoCopy) {
  // Transactional: the mock checks sequence numbers, and a read_committed consumer sees no copy.
  const FaultRunResult result = stream_through_broker_faults("kfault_eos", {"--kafka-exactly-once"});
  expect_every_change_once_in_commit_order(result);
  EXPECT_EQ(result.copies, 0u);
}

TEST(KafkaCli, APermanentErrorNamesTopicErrorAndPositionAndExits1) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  pg.sql("CREATE TABLE kperm (id int PRIMARY KEY)");
  test::create_slot(pg, "kperm_slot");
  pg.sql("INSERT INTO kperm VALUES (1), (2)");
  const Lsn before = test::confirmed_flush_lsn(pg, "kperm_slot");
  // The broker refuses every Produce (more errors than librdkafka would ever retry).
  std::vector<rd_kafka_resp_err_t> denials(50, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(kafka.mock(), kProduceApiKey, denials.size(),
                                          denials.data());
  auto denied = test::run_cli(stream_args(pg, kafka, "kperm_slot", "public.kperm",
                                          {"--kafka-delivery-timeout-ms", "20000"}));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("sabot.public.kperm"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("commit_lsn"), std::string::npos) << denied.err;
  EXPECT_EQ(test::confirmed_flush_lsn(pg, "kperm_slot"), before);

  rd_kafka_mock_clear_request_errors(kafka.mock(), kProduceApiKey);
  // Once the topic is writable again, the same changes go through.
  auto allowed = test::run_cli(stream_args(pg, kafka, "kperm_slot", "public.kperm",
                                           {"--kafka-option", "message.max.bytes=1000"}));
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(test::read_kafka(kafka.bootstrap(), {"sabot.public.kperm"}).size(), 2u);
  pg.sql("INSERT INTO kperm SELECT g FROM generate_series(3, 4) g");
  // A value above message.max.bytes is refused before it is sent.
  pg.sql("ALTER TABLE kperm ADD COLUMN big text");
  pg.sql("INSERT INTO kperm VALUES (5, repeat('x', 5000))");
  auto refused = test::run_cli(stream_args(pg, kafka, "kperm_slot", "public.kperm",
                                           {"--kafka-option", "message.max.bytes=1000"}));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("MSG_SIZE_TOO_LARGE"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("message.max.bytes"), std::string::npos) << refused.err;
}

namespace {

// What a kill -9 left in Kafka: per partition of the data topic, where the killed run's records
// end; and the newest checkpoint of the transactional id then in the log.
struct KillMark {
  std::map<int, int64_t> end_offset;
  std::optional<EventPosition> checkpoint;
};

std::optional<EventPosition> newest_checkpoint(const LocalKafka& kafka, const std::string& id) {
  std::optional<EventPosition> newest;
  for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {"sabot.checkpoints"})) {
    if (rec.key != id) continue;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(*rec.value);
    const EventPosition p{*Lsn::parse(std::string_view(doc["commit_lsn"].get_string())),
                          static_cast<uint32_t>(uint64_t(doc["seq"]))};
    if (!newest || *newest < p) newest = p;
  }
  return newest;
}

KillMark mark_after_kill(const LocalKafka& kafka, const std::string& topic, const std::string& id) {
  // The mock may still be appending requests the killed process had sent: wait until it is still.
  KillMark mark;
  for (int attempt = 0; attempt < 50; ++attempt) {
    KillMark now;
    for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {topic})) {
      now.end_offset[rec.partition] = std::max(now.end_offset[rec.partition], rec.offset + 1);
    }
    now.checkpoint = newest_checkpoint(kafka, id);
    if (attempt > 0 && now.end_offset == mark.end_offset && now.checkpoint == mark.checkpoint)
      break;
    mark = now;
  }
  return mark;
}

}  // namespace

// librdkafka's mock cluster (2.0.2, and upstream) writes no transaction markers and hides nothing
// from read_committed consumers, so it cannot drop an aborted transaction itself. The test does
// what a broker's abort would: after each kill it notes where the killed run's records end and
// the newest checkpoint in the log (each transaction's last record, produced after its messages
// were delivered), and drops the killed run's records past that checkpoint — the transaction
// that was open. What remains must hold every change exactly once, in order per key.
TEST(KafkaExactlyOnce, KillNineAtRandomPointsThenEveryChangeExactlyOnce) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  const std::string topic = "sabot.public.keos";
  const std::string id = "sabot-cdc-keos_slot";
  pg.sql("CREATE TABLE keos (id int PRIMARY KEY, v int)");
  test::create_slot(pg, "keos_slot");
  pg.sql(
      "DO $$ BEGIN FOR t IN 1..200 LOOP "
      "INSERT INTO keos SELECT (t - 1) * 10 + g, 0 FROM generate_series(1, 10) g; COMMIT; "
      "END LOOP; END $$");
  pg.sql("UPDATE keos SET v = 1 WHERE id % 3 = 0");
  const auto args =
      stream_args(pg, kafka, "keos_slot", "public.keos",
                  {"--kafka-exactly-once", "--batch-size", "7", "--status-interval-ms", "100",
                   // Groups of a few source transactions: many Kafka transactions to kill in.
                   "--kafka-group-max-events", "25"});
  std::mt19937 random(std::random_device{}());
  std::vector<KillMark> kills;
  for (int run = 0; run < 6; ++run) {
    const int pid = test::spawn_cli(args, "/tmp/keos-" + std::to_string(getpid()) + ".log");
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + random() % 400));
    if (kill(pid, SIGKILL) != 0 || test::wait_for_exit(pid, std::chrono::seconds(10)) == 0) {
      break;  // it finished before the kill: nothing left to interrupt
    }
    kills.push_back(mark_after_kill(kafka, topic, id));
  }
  auto last = test::run_cli(args);
  ASSERT_EQ(last.exit_code, 0) << last.err;

  std::map<std::string, std::vector<std::string>> seen;  // key -> values in committed order
  std::set<std::pair<uint64_t, uint32_t>> positions;
  size_t dropped = 0;
  for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {topic})) {
    const EventPosition at = header_position(rec);
    bool aborted = false;
    int64_t run_start = 0;
    for (const KillMark& k : kills) {
      const int64_t end = k.end_offset.count(rec.partition) ? k.end_offset.at(rec.partition) : 0;
      if (rec.offset >= run_start && rec.offset < end) {
        aborted = !k.checkpoint || *k.checkpoint < at;
        break;
      }
      run_start = std::max(run_start, end);
    }
    if (aborted) {
      ++dropped;
      continue;
    }
    EXPECT_TRUE(positions.insert({at.commit_lsn.value(), at.seq}).second)
        << "position " << at.commit_lsn.to_string() << "/" << at.seq << " twice";
    seen[*rec.key].push_back(parse_value(*rec.value).columns.at("v"));
  }
  ASSERT_EQ(seen.size(), 2000u) << "kills: " << kills.size() << ", dropped " << dropped;
  EXPECT_GE(kills.size(), 1u) << "every run finished before its kill: nothing was interrupted";
  for (const auto& [key, values] : seen) {
    const int key_id = std::stoi(key.substr(6));
    const std::vector<std::string> expected =
        key_id % 3 == 0 ? std::vector<std::string>{"0", "1"} : std::vector<std::string>{"0"};
    EXPECT_EQ(values, expected) << key;
  }
  std::cerr << "kills: " << kills.size() << ", records of open transactions dropped: " << dropped
            << "\n";
}

// A Kafka transaction covers several source transactions (a group of batches). The group's
// commit is held up (the mock transaction coordinator answers EndTxn 30 s late), so sabot-cdc is
// killed between producing the group — data and checkpoint record are in the log — and Kafka
// committing it. Nothing of the group may have been acknowledged to PostgreSQL: the slot stays
// before the group's first commit. The next run gets the group again from the slot and drops it
// by the checkpoint in Kafka (the mock shows the unfinished group like a committed one), then
// streams what came later: every row once.
TEST(KafkaExactlyOnce, KillBetweenProduceAndCommitOfAGroupAcknowledgesNoneOfIt) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  const std::string topic = "sabot.public.kgroup";
  const std::string id = "sabot-cdc-kgroup_slot";
  pg.sql("CREATE TABLE kgroup (id int PRIMARY KEY)");
  test::create_slot(pg, "kgroup_slot");
  const Lsn slot_start = test::confirmed_flush_lsn(pg, "kgroup_slot");
  pg.sql(
      "DO $$ BEGIN FOR t IN 1..50 LOOP "
      "INSERT INTO kgroup SELECT (t - 1) * 4 + g FROM generate_series(1, 4) g; COMMIT; "
      "END LOOP; END $$");
  constexpr int16_t kEndTxnApiKey = 26;
  ASSERT_EQ(rd_kafka_mock_coordinator_set(kafka.mock(), "transaction", id.c_str(), 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(kafka.mock(), 1, kEndTxnApiKey, 1,
                                                         RD_KAFKA_RESP_ERR_NO_ERROR, 30000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::vector<std::string> eos = {"--kafka-exactly-once", "--status-interval-ms", "100"};
  const int pid = test::spawn_cli(stream_args(pg, kafka, "kgroup_slot", "public.kgroup", eos),
                                  "/tmp/kgroup-" + std::to_string(getpid()) + ".log");
  // Wait for the group's checkpoint record, then give a wrong acknowledgement time to show.
  ASSERT_TRUE(test::eventually([&] { return newest_checkpoint(kafka, id).has_value(); }))
      << "no group was produced";
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const Lsn confirmed = test::confirmed_flush_lsn(pg, "kgroup_slot");
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  test::wait_for_exit(pid, std::chrono::seconds(10));

  const std::vector<KafkaRecord> produced = test::read_kafka(kafka.bootstrap(), {topic});
  ASSERT_FALSE(produced.empty());
  std::set<std::string> xids;
  EventPosition first = header_position(produced.front());
  for (const KafkaRecord& rec : produced) {
    xids.insert(rec.headers.at("xid"));
    first = std::min(first, header_position(rec));
  }
  EXPECT_GE(xids.size(), 2u) << "the Kafka transaction should span several source transactions";
  EXPECT_EQ(confirmed, slot_start) << "the slot moved to " << confirmed.to_string()
                                   << " before Kafka committed; the group starts at "
                                   << first.commit_lsn.to_string();

  pg.sql("INSERT INTO kgroup SELECT g FROM generate_series(201, 240) g");
  auto rest = test::run_cli(stream_args(pg, kafka, "kgroup_slot", "public.kgroup", eos));
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  std::map<std::string, int> times_seen;
  for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {topic})) ++times_seen[*rec.key];
  EXPECT_EQ(times_seen.size(), 240u);
  for (const auto& [key, times] : times_seen) EXPECT_EQ(times, 1) << key;
}

// Through the CLI (whose progress wrapper sits between the delivery runtime and the sink) a Kafka
// transaction gathers the batches that come while its group stays open (--kafka-group-max-ms),
// rather than ending whenever the stream has nothing at hand for a moment: here source
// transactions come every few milliseconds, so without lingering nearly each would be a Kafka
// transaction of its own.
TEST(KafkaExactlyOnce, AGroupGathersTheBatchesThatComeWhileItLingers) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  const std::string id = "sabot-cdc-klinger_slot";
  pg.sql("CREATE TABLE klinger (id int PRIMARY KEY)");
  test::create_slot(pg, "klinger_slot");
  std::vector<std::string> args = {"stream", "--dsn", pg.dsn(), "--slot", "klinger_slot",
                                   "--tables", "public.klinger", "--quiet", "--sink", kafka.url(),
                                   "--kafka-exactly-once", "--kafka-group-max-ms", "1000"};
  const int pid = test::spawn_cli(args, "/tmp/klinger-" + std::to_string(getpid()) + ".log");
  constexpr int kTransactions = 150;
  for (int t = 0; t < kTransactions; ++t) {
    pg.sql("INSERT INTO klinger VALUES (" + std::to_string(t) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool all_there = test::eventually(
      [&] {
        return test::read_kafka(kafka.bootstrap(), {"sabot.public.klinger"}).size() >=
               static_cast<size_t>(kTransactions);
      },
      std::chrono::seconds(60));
  kill(pid, SIGTERM);
  test::wait_for_exit(pid, std::chrono::seconds(20));
  ASSERT_TRUE(all_there);
  size_t transactions = 0;  // one checkpoint record per committed Kafka transaction
  for (const KafkaRecord& rec : test::read_kafka(kafka.bootstrap(), {"sabot.checkpoints"})) {
    if (rec.key == id) ++transactions;
  }
  std::fprintf(stderr, "Kafka transactions for %d source transactions: %zu\n", kTransactions,
               transactions);
  EXPECT_GE(transactions, 1u);
  // The inserts take about a second (more on a loaded machine), and a group stays open up to 1 s.
  EXPECT_LE(transactions, static_cast<size_t>(kTransactions / 5));
}

TEST(KafkaCli, PipelineFileKeysConfigureTheKafkaSink) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalKafka kafka;
  pg.sql("CREATE TABLE kconf (id int PRIMARY KEY)");
  test::create_slot(pg, "kconf_slot");
  pg.sql("INSERT INTO kconf VALUES (1); DELETE FROM kconf WHERE id = 1");
  const std::string path = "/tmp/kconf-" + std::to_string(getpid()) + ".toml";
  {
    std::ofstream file(path);
    file << "[source]\ndsn = \"" << pg.dsn() << "\"\nslot = \"kconf_slot\"\n"
         << "tables = \"public.kconf\"\n[sink]\nsink = \"" << kafka.url() << "\"\n"
         << "kafka-topic = \"conf.{table}\"\nkafka-tombstones = true\n"
         << "kafka-option = [\"linger.ms=1\"]\nkafka-group-max-events = 2\nkafka-group-max-ms = 5\n"
         << "kafka-group-max-bytes = 4096\nkafka-transaction-topic = \"conf.tx\"\n"
         << "[stream]\nend-lsn = \""
         << pg.current_wal_insert_lsn().to_string() << "\"\nquiet = true\n";
  }
  auto r = test::run_cli({"run", "--config", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = test::read_kafka(kafka.bootstrap(), {"conf.kconf"});
  ASSERT_EQ(records.size(), 3u);  // insert, delete, tombstone
  EXPECT_FALSE(records[2].value.has_value());
  std::remove(path.c_str());
}
