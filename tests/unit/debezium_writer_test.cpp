// Debezium's envelope, keys and transaction metadata events. Expected JSON follows the shapes of
// Debezium's PostgreSQL connector documentation (data change events, transaction metadata) with
// JsonConverter schemas.enable=false; numbers are worked out by hand.
#include "output/debezium_writer.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "sabot/error.hpp"
#include "sabot/format.hpp"
#include "sabot/jsonl.hpp"

using namespace sabot;

namespace {

Column col(std::string_view name, uint32_t oid, std::string_view type_name,
           std::optional<std::string> text) {
  Column c;
  c.name = name;
  c.type_oid = oid;
  c.type_name = type_name;
  c.value = text ? Value::text(*text) : Value::null();
  return c;
}

const std::vector<std::string> kIdKey = {"id"};

ChangeEvent customer_insert() {
  ChangeEvent e;
  e.op = Op::Insert;
  e.schema = "public";
  e.table = "customers";
  e.columns = {col("id", 23, "integer", "1"),
               col("first_name", 1043, "character varying(255)", "Anne")};
  e.key_columns = kIdKey;
  e.transaction_id = 555;
  e.lsn = Lsn(24023128);
  e.commit_lsn = Lsn(24023200);
  e.commit_time = Timestamp(std::chrono::microseconds(1'559'033'904'863'123));
  e.seq = 0;
  return e;
}

DebeziumOptions options() {
  DebeziumOptions o;
  o.name = "PostgreSQL_server";
  o.database = "postgres";
  return o;
}

const Timestamp kProcessedAt(std::chrono::microseconds(1'559'033'904'900'001));

std::string envelope(const ChangeEvent& e,
                     const output::DebeziumTransactionOrder* order = nullptr) {
  std::string out;
  output::append_debezium_envelope(out, e, options(), order, kProcessedAt);
  return out;
}

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  return parser.parse(json);
}

}  // namespace

TEST(DebeziumEnvelope, CreateEventHasEveryFieldInDebeziumsOrder) {
  EXPECT_EQ(envelope(customer_insert()),
            "{\"before\":null,\"after\":{\"id\":1,\"first_name\":\"Anne\"},"
            "\"source\":{\"version\":\"sabot-cdc-0.1.0\",\"connector\":\"postgresql\","
            "\"name\":\"PostgreSQL_server\",\"ts_ms\":1559033904863,\"snapshot\":\"false\","
            "\"db\":\"postgres\",\"sequence\":\"[\\\"24023200\\\",\\\"24023128\\\"]\","
            "\"ts_us\":1559033904863123,\"ts_ns\":1559033904863123000,\"schema\":\"public\","
            "\"table\":\"customers\",\"txId\":555,\"lsn\":24023128,\"xmin\":null,"
            "\"sabot_commit_lsn\":\"0/16E90A0\",\"sabot_seq\":0},"
            "\"transaction\":null,\"op\":\"c\",\"ts_ms\":1559033904900,"
            "\"ts_us\":1559033904900001,\"ts_ns\":1559033904900001000}");
}

TEST(DebeziumEnvelope, UpdateDeleteTruncateAndSnapshotRows) {
  simdjson::dom::parser parser;
  ChangeEvent update = customer_insert();
  update.op = Op::Update;
  update.old = std::vector<Column>{col("id", 23, "integer", "1")};
  auto doc = parse(parser, envelope(update));
  EXPECT_EQ(std::string_view(doc["op"]), "u");
  EXPECT_EQ(int64_t(doc["before"]["id"]), 1);
  EXPECT_EQ(std::string_view(doc["after"]["first_name"]), "Anne");

  ChangeEvent delete_event = update;
  delete_event.op = Op::Delete;
  delete_event.columns.clear();
  doc = parse(parser, envelope(delete_event));
  EXPECT_EQ(std::string_view(doc["op"]), "d");
  EXPECT_EQ(int64_t(doc["before"]["id"]), 1);
  EXPECT_TRUE(doc["after"].is_null());

  ChangeEvent truncate = customer_insert();
  truncate.op = Op::Truncate;
  truncate.columns.clear();
  doc = parse(parser, envelope(truncate));
  EXPECT_EQ(std::string_view(doc["op"]), "t");
  EXPECT_TRUE(doc["before"].is_null());
  EXPECT_TRUE(doc["after"].is_null());
  EXPECT_EQ(std::string_view(doc["source"]["table"]), "customers");

  ChangeEvent read = customer_insert();
  read.op = Op::Read;
  read.transaction_id = 0;
  doc = parse(parser, envelope(read));
  EXPECT_EQ(std::string_view(doc["op"]), "r");
  EXPECT_EQ(std::string_view(doc["source"]["snapshot"]), "true");
  EXPECT_TRUE(doc["source"]["txId"].is_null());
}

TEST(DebeziumEnvelope, MessageEventHasOpMAndBase64Content) {
  ChangeEvent m;
  m.op = Op::Message;
  m.message_prefix = "foo";
  m.message_content = "bar";
  m.message_transactional = true;
  m.transaction_id = 556;
  m.lsn = Lsn(46523128);
  m.commit_lsn = Lsn(46523200);
  simdjson::dom::parser parser;
  auto doc = parse(parser, envelope(m));
  EXPECT_EQ(std::string_view(doc["op"]), "m");
  EXPECT_EQ(std::string_view(doc["message"]["prefix"]), "foo");
  EXPECT_EQ(std::string_view(doc["message"]["content"]), "YmFy");
  EXPECT_EQ(std::string_view(doc["source"]["schema"]), "");
  EXPECT_EQ(std::string_view(doc["source"]["table"]), "");
  EXPECT_EQ(uint64_t(doc["source"]["txId"]), 556u);
  EXPECT_TRUE(doc["before"].error() == simdjson::NO_SUCH_FIELD);
}

TEST(DebeziumEnvelope, SchemaChangesHaveNoDataMessage) {
  ChangeEvent ddl;
  ddl.op = Op::SchemaChange;
  EXPECT_EQ(envelope(ddl), "");
  EventRenderer renderer({EventFormat::Debezium, options()});
  std::string out;
  renderer.append_value(out, ddl);
  renderer.append_key(out, ddl);
  EXPECT_EQ(out, "");
}

TEST(DebeziumEnvelope, UnchangedToastIsThePlaceholder) {
  ChangeEvent update = customer_insert();
  update.op = Op::Update;
  update.columns[1].value = Value::null();
  update.columns[1].unchanged_toast = true;
  simdjson::dom::parser parser;
  auto doc = parse(parser, envelope(update));
  EXPECT_EQ(std::string_view(doc["after"]["first_name"]), "__debezium_unavailable_value");
}

TEST(DebeziumKey, KeyColumnsOfTheNewRowOrOfTheOldOneForADelete) {
  EventRenderer renderer({EventFormat::Debezium, options()});
  std::string key;
  renderer.append_key(key, customer_insert());
  EXPECT_EQ(key, "{\"id\":1}");

  ChangeEvent delete_event = customer_insert();
  delete_event.op = Op::Delete;
  delete_event.columns.clear();
  delete_event.old = std::vector<Column>{col("id", 23, "integer", "7")};
  key.clear();
  renderer.append_key(key, delete_event);
  EXPECT_EQ(key, "{\"id\":7}");

  ChangeEvent no_key = customer_insert();
  no_key.key_columns = {};
  key.clear();
  renderer.append_key(key, no_key);
  EXPECT_EQ(key, "");  // Debezium: a null key

  ChangeEvent truncate = customer_insert();
  truncate.op = Op::Truncate;
  key.clear();
  renderer.append_key(key, truncate);
  EXPECT_EQ(key, "");

  ChangeEvent message;
  message.op = Op::Message;
  message.message_prefix = "audit";
  key.clear();
  renderer.append_key(key, message);
  EXPECT_EQ(key, "{\"prefix\":\"audit\"}");
}

TEST(DebeziumKey, SabotKeyUsesSabotValues) {
  EventRenderer renderer;
  ChangeEvent e = customer_insert();
  e.key_columns = NameList(std::span<const std::string>(kIdKey));
  std::string key;
  renderer.append_key(key, e);
  EXPECT_EQ(key, "{\"id\":1}");
}

TEST(DebeziumTransactionMetadata, BeginEventsWithOrderAndEndWithCounts) {
  DebeziumOptions o = options();
  o.transaction_metadata = true;
  EventRenderer renderer({EventFormat::Debezium, o});
  ChangeBatch batch;
  batch.transaction_id = 571;
  batch.commit_lsn = Lsn(53195832);
  batch.commit_time = Timestamp(std::chrono::microseconds(1'486'500'577'691'000));
  ChangeEvent a = customer_insert();
  a.schema = "s1";
  a.table = "a";
  a.transaction_id = 571;
  a.commit_lsn = batch.commit_lsn;
  ChangeEvent b = a;
  b.schema = "s2";
  b.seq = 1;
  ChangeEvent c = a;
  c.seq = 2;
  batch.events = {a, b, c};

  std::string out;
  renderer.append_batch_lines(out, batch);
  std::vector<std::string> lines;
  for (size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(out.substr(start, nl - start));
  }
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "{\"status\":\"BEGIN\",\"id\":\"571:53195832\",\"ts_ms\":1486500577691,"
            "\"event_count\":null,\"data_collections\":null}");
  EXPECT_EQ(lines[4],
            "{\"status\":\"END\",\"id\":\"571:53195832\",\"ts_ms\":1486500577691,"
            "\"event_count\":3,\"data_collections\":[{\"data_collection\":\"s1.a\","
            "\"event_count\":2},{\"data_collection\":\"s2.a\",\"event_count\":1}]}");
  simdjson::dom::parser parser;
  const std::pair<int64_t, int64_t> expected_orders[] = {{1, 1}, {2, 1}, {3, 2}};
  for (int i = 0; i < 3; ++i) {
    auto doc = parse(parser, lines[static_cast<size_t>(i) + 1]);
    EXPECT_EQ(std::string_view(doc["transaction"]["id"]), "571:53195832");
    EXPECT_EQ(int64_t(doc["transaction"]["total_order"]), expected_orders[i].first);
    EXPECT_EQ(int64_t(doc["transaction"]["data_collection_order"]), expected_orders[i].second);
  }
  std::string key;
  renderer.append_transaction_key(key, batch);
  EXPECT_EQ(key, "{\"id\":\"571:53195832\"}");
}

TEST(DebeziumTransactionMetadata, NoneWithoutTheOptionForSnapshotsOrInTheSabotFormat) {
  ChangeBatch batch;
  batch.transaction_id = 9;
  batch.events = {customer_insert()};
  for (const FormatOptions& format :
       {FormatOptions{EventFormat::Debezium, options()}, FormatOptions{}}) {
    EventRenderer renderer(format);
    std::string out;
    renderer.append_transaction_begin(out, batch);
    renderer.append_transaction_end(out, batch);
    EXPECT_EQ(out, "");
  }
  DebeziumOptions o = options();
  o.transaction_metadata = true;
  EventRenderer renderer({EventFormat::Debezium, o});
  batch.from_snapshot = true;
  std::string out;
  renderer.append_transaction_begin(out, batch);
  EXPECT_EQ(out, "");
}

TEST(DebeziumPosition, ParseEventPositionReadsTheSourceBlock) {
  std::string line = envelope(customer_insert());
  const auto position = parse_event_position(line);
  ASSERT_TRUE(position);
  EXPECT_EQ(position->commit_lsn, Lsn(24023200));
  EXPECT_EQ(position->seq, 0u);
  EXPECT_FALSE(parse_event_position(
      "{\"status\":\"END\",\"id\":\"1:2\",\"ts_ms\":0,\"event_count\":0,\"data_collections\":[]}"));
}

TEST(EventFormatParsing, NamesTheChoices) {
  EXPECT_EQ(parse_event_format("debezium"), EventFormat::Debezium);
  EXPECT_EQ(parse_event_format("sabot"), EventFormat::Sabot);
  try {
    parse_event_format("avro");
    ADD_FAILURE();
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("sabot"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("debezium"), std::string::npos);
  }
}
