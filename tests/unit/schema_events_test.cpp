// Schema changes without a server: the DDL capture message content, the gate in front of the
// assembler's filter, the schema registry, the JSON Lines shape, pgoutput's relation_changed, and
// the spill round trip of a schema_change event.
#include "decode/schema_events.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "cdc_error_checks.hpp"
#include "core/ack_tracker.hpp"
#include "core/transaction_assembler.hpp"
#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "files.hpp"
#include "output/jsonl_writer.hpp"
#include "pgoutput_builder.hpp"
#include "recording_handler.hpp"
#include "sabot/error.hpp"
#include "sabot/schema.hpp"
#include "spill/held_event_store.hpp"

using namespace sabot;

namespace {

using Names = std::vector<std::string>;

// As the event trigger writes it: json_build_object's spacing, keys in its order.
const std::string kAlterItems =
    R"j({"version" : 1, "event" : "ddl_command_end", "tag" : "ALTER TABLE", "oid" : 16390, )j"
    R"j("schema" : "public", "table" : "items", "identity" : "default", "columns" : [)j"
    R"j({"name" : "id", "type" : "integer", "type_oid" : 23, "nullable" : false, "key" : true}, )j"
    R"j({"name" : "title", "type" : "character varying(20)", "type_oid" : 1043, "nullable" : true, "key" : false}, )j"
    R"j({"name" : "qty", "type" : "bigint", "type_oid" : 20, "nullable" : false, "key" : false}]})j";

const std::string kDropItems =
    R"j({"version":1,"event":"sql_drop","tag":"DROP TABLE","oid":16390,"schema":"public",)j"
    R"j("table":"items","identity":null,"columns":[]})j";

ChangeEvent ddl_message(const std::string& content, uint64_t lsn = 0x1234) {
  ChangeEvent e;
  e.op = Op::Message;
  e.lsn = Lsn(lsn);
  e.message_prefix = std::string(kDdlMessagePrefix);
  e.message_content = content;
  e.message_transactional = true;
  return e;
}

std::string protocol_error(const std::string& content) {
  decode::SchemaChangeGate gate;
  ChangeEvent e = ddl_message(content, 0x16B3748);
  try {
    gate.admit(e);
  } catch (const CdcError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Protocol);
    return error.what();
  }
  ADD_FAILURE() << "no error for " << content;
  return "";
}

// The relation_changed event pgoutput's fallback would make for `items` in this shape.
ChangeEvent relation_changed(std::vector<SchemaColumn> columns, std::string identity = "default") {
  auto schema = std::make_shared<TableSchema>();
  schema->schema = "public";
  schema->table = "items";
  schema->relation_oid = 16390;
  schema->replica_identity = std::move(identity);
  schema->ddl = std::string(kRelationChangedDdl);
  schema->columns = std::move(columns);
  ChangeEvent e;
  decode::set_schema_change(e, std::move(schema));
  return e;
}

// The items columns of kAlterItems as a Relation message shows them (no nullability).
std::vector<SchemaColumn> relation_columns() {
  return {{"id", 23, "integer", std::nullopt, true},
          {"title", 1043, "character varying(20)", std::nullopt, false},
          {"qty", 20, "bigint", std::nullopt, false}};
}

}  // namespace

// ---- message content ----------------------------------------------------------------------------

TEST(SchemaEvents, ParsesTheTriggerOutput) {
  const decode::DdlDescription d = decode::parse_ddl_description(kAlterItems);
  EXPECT_EQ(d.event, "ddl_command_end");
  EXPECT_EQ(d.tag, "ALTER TABLE");
  const TableSchema& s = *d.schema;
  EXPECT_EQ(s.schema, "public");
  EXPECT_EQ(s.table, "items");
  EXPECT_EQ(s.relation_oid, 16390u);
  EXPECT_EQ(s.replica_identity, "default");
  EXPECT_EQ(s.ddl, "ALTER TABLE");
  EXPECT_FALSE(s.dropped);
  ASSERT_EQ(s.columns.size(), 3u);
  EXPECT_EQ(s.columns[1].name, "title");
  EXPECT_EQ(s.columns[1].type_name, "character varying(20)");
  EXPECT_EQ(s.columns[1].type_oid, 1043u);
  EXPECT_EQ(s.columns[1].nullable, std::optional<bool>(true));
  EXPECT_EQ(s.columns[0].nullable, std::optional<bool>(false));
  EXPECT_TRUE(s.columns[0].key);
  EXPECT_EQ(s.key_columns(), Names{"id"});
  EXPECT_EQ(s.column("qty")->type_name, "bigint");
  EXPECT_EQ(s.column("nope"), nullptr);
}

TEST(SchemaEvents, DropAndCatalogDocumentsAndUnknownKeys) {
  const decode::DdlDescription drop = decode::parse_ddl_description(kDropItems);
  EXPECT_TRUE(drop.schema->dropped);
  EXPECT_TRUE(drop.schema->columns.empty());
  EXPECT_EQ(drop.schema->replica_identity, "");
  EXPECT_EQ(drop.schema->ddl, "DROP TABLE");
  // A newer trigger may add keys; key order does not matter.
  const decode::DdlDescription catalog = decode::parse_ddl_description(
      R"j({"columns":[],"table":"t","schema":"s","future":[1,{"x":2}],"identity":"nothing",)j"
      R"j("oid":1,"tag":"","event":"catalog","version":1})j");
  EXPECT_EQ(catalog.schema->ddl, "catalog");
  EXPECT_EQ(catalog.schema->replica_identity, "nothing");
  EXPECT_FALSE(catalog.schema->dropped);
}

TEST(SchemaEvents, MalformedContentIsAProtocolErrorNamingTheLsn) {
  const std::string not_json = protocol_error("{\"version\":1,");
  EXPECT_NE(not_json.find("at LSN 0/16B3748"), std::string::npos) << not_json;
  EXPECT_NE(not_json.find("prefix \"sabot_ddl\""), std::string::npos) << not_json;
  EXPECT_NE(not_json.find("not valid JSON"), std::string::npos) << not_json;

  std::string without_table = kDropItems;
  without_table.replace(without_table.find("\"table\""), 7, "\"tabel\"");
  EXPECT_NE(protocol_error(without_table).find("has no \"table\""), std::string::npos);
  std::string version2 = kDropItems;
  version2.replace(version2.find("\"version\":1"), 11, "\"version\":2");
  EXPECT_NE(protocol_error(version2).find("version 2 is not supported"), std::string::npos);
  std::string bad_event = kDropItems;
  bad_event.replace(bad_event.find("sql_drop"), 8, "sql_dorp");
  EXPECT_NE(protocol_error(bad_event).find("unknown event \"sql_dorp\""), std::string::npos);
  std::string string_oid = kAlterItems;
  string_oid.replace(string_oid.find("\"type_oid\" : 23"), 15, "\"type_oid\" : \"23\"");
  EXPECT_NE(protocol_error(string_oid).find("column 0 \"type_oid\" is not an OID"),
            std::string::npos);
  std::string null_key = kAlterItems;
  null_key.replace(null_key.find("\"key\" : true"), 12, "\"key\" : null");
  EXPECT_NE(protocol_error(null_key).find("\"key\" is not true or false"), std::string::npos);
  std::string drop_with_columns = kDropItems;
  drop_with_columns.replace(
      drop_with_columns.find("[]"), 2,
      R"j([{"name":"a","type":"integer","type_oid":23,"nullable":true,"key":false}])j");
  EXPECT_NE(protocol_error(drop_with_columns).find("a dropped table with columns"),
            std::string::npos);
  EXPECT_NE(protocol_error("[1]").find("not a JSON object"), std::string::npos);
  std::string catalog = kDropItems;
  catalog.replace(catalog.find("sql_drop"), 8, "catalog");
  EXPECT_NE(protocol_error(catalog).find("only a catalog snapshot"), std::string::npos);
  std::string huge_oid = kDropItems;
  huge_oid.replace(huge_oid.find("16390"), 5, "4294967296");
  EXPECT_NE(protocol_error(huge_oid).find("\"oid\" is not an OID"), std::string::npos);
}

// ---- the gate -----------------------------------------------------------------------------------

TEST(SchemaEvents, GateTurnsDdlMessagesIntoSchemaChanges) {
  decode::SchemaChangeGate gate;
  ChangeEvent e = ddl_message(kAlterItems, 0x500);
  ASSERT_TRUE(gate.admit(e));
  EXPECT_EQ(e.op, Op::SchemaChange);
  EXPECT_EQ(e.type(), "schema_change");
  EXPECT_EQ(e.schema, "public");
  EXPECT_EQ(e.table, "items");
  EXPECT_EQ(e.ddl, "ALTER TABLE");
  EXPECT_EQ(e.lsn, Lsn(0x500));
  EXPECT_TRUE(e.message_prefix.empty());
  EXPECT_TRUE(e.message_content.empty());
  ASSERT_EQ(e.columns.size(), 3u);
  EXPECT_EQ(e.columns[2].name, "qty");
  EXPECT_EQ(e.columns[2].type_oid, 20u);
  EXPECT_TRUE(e.columns[2].value.is_null());
  EXPECT_EQ(e.key_columns, Names{"id"});
  ASSERT_TRUE(e.table_schema);
  EXPECT_EQ(e.table_schema->lsn, Lsn(0x500));

  // The end marker the trigger writes after a command's messages is dropped.
  ChangeEvent marker = ddl_message("");
  EXPECT_FALSE(gate.admit(marker));
  // Other messages and row changes pass untouched.
  ChangeEvent other = ddl_message("anything");
  other.message_prefix = "app";
  EXPECT_TRUE(gate.admit(other));
  EXPECT_EQ(other.op, Op::Message);
  EXPECT_EQ(other.message_content, "anything");
}

TEST(SchemaEvents, GateDropsRelationChangedAlreadyReportedByDdlCapture) {
  decode::SchemaChangeGate gate;
  // No DDL capture: the fallback is the only report, each time the shape changes.
  ChangeEvent first = relation_changed(relation_columns());
  EXPECT_TRUE(gate.admit(first));
  ChangeEvent same = relation_changed(relation_columns());
  EXPECT_FALSE(gate.admit(same));

  // DDL capture reported the shape first: the Relation message that follows adds nothing.
  gate.clear();
  ChangeEvent ddl = ddl_message(kAlterItems);
  ASSERT_TRUE(gate.admit(ddl));
  ChangeEvent after = relation_changed(relation_columns());
  EXPECT_FALSE(gate.admit(after));

  // But a shape DDL capture did not report (a type modifier, a key, the identity) gets through.
  auto wider = relation_columns();
  wider[1].type_name = "character varying(40)";
  ChangeEvent typmod = relation_changed(wider);
  EXPECT_TRUE(gate.admit(typmod));
  auto all_keys = wider;
  for (auto& c : all_keys) c.key = true;
  ChangeEvent full = relation_changed(all_keys, "full");
  EXPECT_TRUE(gate.admit(full));
  // User-defined types: the OID decides, their names may be qualified differently.
  auto user_type = all_keys;
  user_type[2] = {"qty", 16500, "mood", std::nullopt, true};
  ChangeEvent mood = relation_changed(user_type, "full");
  EXPECT_TRUE(gate.admit(mood));
  user_type[2].type_name = "public.mood";
  ChangeEvent qualified = relation_changed(user_type, "full");
  EXPECT_FALSE(gate.admit(qualified));

  // A drop forgets the table; the stream restarting (clear) forgets everything.
  ChangeEvent drop = ddl_message(kDropItems);
  ASSERT_TRUE(gate.admit(drop));
  EXPECT_TRUE(drop.table_schema->dropped);
  ChangeEvent again = relation_changed(relation_columns());
  EXPECT_TRUE(gate.admit(again));
  gate.clear();
  ChangeEvent after_clear = relation_changed(relation_columns());
  EXPECT_TRUE(gate.admit(after_clear));
}

TEST(SchemaEvents, AssemblerAppliesTheTableFilterToSchemaChanges) {
  core::AckTracker acks;
  core::TransactionAssembler assembler(core::BatchLimits{}, TableFilter({"public.orders"}), acks);
  decode::TxBegin begin;
  begin.xid = 7;
  begin.commit_lsn = Lsn(0x900);
  assembler.on_begin(begin);
  ChangeEvent row;
  row.op = Op::Insert;
  row.schema = "public";
  row.table = "orders";
  assembler.on_change(ChangeEvent(row));
  assembler.on_change(ddl_message(kAlterItems));  // public.items: outside the filter
  std::string orders = kAlterItems;
  orders.replace(orders.find("\"items\""), 7, "\"orders\"");
  assembler.on_change(ddl_message(orders));
  assembler.on_change(ddl_message(""));  // end marker
  assembler.on_change(ChangeEvent(row));
  decode::TxCommit commit;
  commit.xid = 7;
  commit.commit_lsn = Lsn(0x900);
  commit.end_lsn = Lsn(0x930);
  assembler.on_commit(commit);

  ASSERT_TRUE(assembler.has_ready());
  const ChangeBatch batch = assembler.take_ready();
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.events[1].op, Op::SchemaChange);
  EXPECT_EQ(batch.events[1].table, "orders");
  EXPECT_EQ(batch.events[1].transaction_id, 7u);
  EXPECT_EQ(batch.events[1].commit_lsn, Lsn(0x900));
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(batch.events[i].seq, i);

  // A malformed DDL message stops the stream with a protocol error.
  assembler.on_begin(begin);
  EXPECT_TRUE(sabot::test::throws_cdc_error([&] { assembler.on_change(ddl_message("{")); },
                                            ErrorKind::Protocol, "not valid JSON"));
}

// ---- registry -----------------------------------------------------------------------------------

TEST(SchemaEvents, RegistryFollowsCreatesRenamesAndDrops) {
  SchemaRegistry registry;
  decode::SchemaChangeGate gate;
  ChangeEvent alter = ddl_message(kAlterItems);
  gate.admit(alter);
  registry.apply(alter);
  ChangeEvent row;
  registry.apply(row);  // row events change nothing
  ASSERT_EQ(registry.size(), 1u);
  auto items = registry.find("public", "items");
  ASSERT_TRUE(items);
  EXPECT_EQ(items, alter.table_schema);

  // Renamed: the same OID under another name replaces the old entry.
  std::string renamed = kAlterItems;
  renamed.replace(renamed.find("\"items\""), 7, "\"goods\"");
  ChangeEvent rename = ddl_message(renamed);
  gate.admit(rename);
  registry.apply(rename);
  EXPECT_EQ(registry.find("public", "items"), nullptr);
  ASSERT_TRUE(registry.find("public", "goods"));
  EXPECT_EQ(items->table, "items");  // what was handed out never changes

  // A hand-made schema_change without table_schema still counts.
  ChangeEvent manual;
  manual.op = Op::SchemaChange;
  manual.schema = "app";
  manual.table = "a";
  manual.ddl = "CREATE TABLE";
  manual.columns.push_back(Column{"k", 25, "text", Value::null()});
  const std::vector<std::string> manual_keys = {"k"};
  manual.key_columns = manual_keys;
  registry.apply(manual);
  const auto tables = registry.tables();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0]->schema, "app");  // ordered by schema, then table
  EXPECT_TRUE(tables[0]->columns[0].key);
  EXPECT_FALSE(tables[0]->columns[0].nullable.has_value());

  std::string drop_goods = kDropItems;
  drop_goods.replace(drop_goods.find("\"items\""), 7, "\"goods\"");
  ChangeEvent drop = ddl_message(drop_goods);
  gate.admit(drop);
  registry.apply(drop);
  EXPECT_EQ(registry.find("public", "goods"), nullptr);
  EXPECT_EQ(registry.size(), 1u);
}

// ---- JSON Lines ---------------------------------------------------------------------------------

TEST(SchemaEvents, JsonLinesShape) {
  decode::SchemaChangeGate gate;
  ChangeEvent e = ddl_message(kAlterItems, 0x16B3748);
  gate.admit(e);
  e.transaction_id = 742;
  e.commit_lsn = Lsn(0x16B3800);
  e.commit_time = Timestamp(std::chrono::microseconds(1'700'000'000'000'000));
  e.seq = 2;
  std::string out;
  output::append_event_jsonl(out, e);
  EXPECT_EQ(
      out,
      R"j({"op":"schema_change","schema":"public","table":"items","columns":[)j"
      R"j({"name":"id","type":"integer","type_oid":23,"nullable":false,"key":true},)j"
      R"j({"name":"title","type":"character varying(20)","type_oid":1043,"nullable":true,"key":false},)j"
      R"j({"name":"qty","type":"bigint","type_oid":20,"nullable":false,"key":false}],)j"
      R"j("old":null,"xid":742,"lsn":"0/16B3748","commit_lsn":"0/16B3800",)j"
      R"j("commit_time":"2023-11-14T22:13:20.000000Z","seq":2,"ddl":"ALTER TABLE",)j"
      R"j("identity":"default","dropped":false})j"
      "\n");

  ChangeEvent changed = relation_changed(relation_columns());
  out.clear();
  output::append_event_jsonl(out, changed);
  EXPECT_NE(out.find(R"j("nullable":null)j"), std::string::npos) << out;
  EXPECT_NE(out.find(R"j("ddl":"relation_changed","identity":"default","dropped":false)j"),
            std::string::npos)
      << out;

  ChangeEvent drop = ddl_message(kDropItems);
  gate.admit(drop);
  out.clear();
  output::append_event_jsonl(out, drop);
  EXPECT_NE(out.find(R"j("columns":[],)j"), std::string::npos) << out;
  EXPECT_NE(out.find(R"j("ddl":"DROP TABLE","identity":null,"dropped":true})j"), std::string::npos)
      << out;
}

// ---- pgoutput relation_changed ------------------------------------------------------------------

namespace {

using namespace sabot::test::pgwire;

// public.items (OID 16390) as pgoutput messages, protocol 1: what these tests send.
constexpr uint32_t kItemsOid = 16390;

std::string relation(const std::vector<RelCol>& cols, char identity = 'd') {
  return relation_msg(kItemsOid, "public", "items", identity, cols);
}
std::string begin_tx(uint64_t final_lsn, uint32_t xid) {
  return begin_msg(final_lsn, 0, xid);
}
std::string commit_tx(uint64_t lsn) {
  return commit_msg(lsn, lsn + 0x30, 0);
}
std::string insert_row(const std::vector<std::string>& values) {
  Tuple row;
  for (const std::string& v : values) row.push_back(txt(v));
  return insert_msg(kItemsOid, row);
}

const std::vector<RelCol> kTwo = {{1, "id", 23, -1}, {0, "name", 1043, 24}};
const std::vector<RelCol> kThree = {{1, "id", 23, -1}, {0, "name", 1043, 24}, {0, "qty", 20, -1}};

}  // namespace

TEST(SchemaEvents, PgoutputReportsAChangedRelationBeforeTheFirstRowInTheNewShape) {
  decode::PgoutputOptions options;
  options.protocol_version = 1;
  options.report_relation_changes = true;
  decode::PgoutputDecoder decoder(options);
  sabot::testing::RecordingHandler rec;
  const auto feed = [&](const std::string& m, uint64_t wal_start = 0) {
    decoder.decode(m, Lsn(wal_start), rec);
  };
  feed(begin_tx(0x100, 5));
  feed(relation(kTwo));  // the first Relation of the session is the baseline: no event
  feed(insert_row({"1", "a"}), 0xF0);
  feed(relation(kTwo));  // re-sent, unchanged: no event
  feed(insert_row({"2", "b"}), 0xF8);
  feed(commit_tx(0x100));
  feed(begin_tx(0x200, 6));
  feed(relation(kThree));  // the walsender sends Relation messages at LSN 0
  feed(insert_row({"3", "c", "7"}), 0x1F0);
  feed(commit_tx(0x200));
  EXPECT_EQ(rec.sequence(), "B I I C B S I C");

  const ChangeEvent& s = rec.changes.at(2);
  EXPECT_EQ(s.ddl, "relation_changed");
  EXPECT_EQ(s.lsn, Lsn(0x1F0));  // the row's: where the new shape takes effect
  EXPECT_EQ(s.schema, "public");
  EXPECT_EQ(s.table, "items");
  ASSERT_EQ(s.columns.size(), 3u);
  EXPECT_EQ(s.columns[1].type_name, "character varying(20)");
  EXPECT_EQ(s.key_columns, Names{"id"});
  ASSERT_TRUE(s.table_schema);
  EXPECT_EQ(s.table_schema->relation_oid, 16390u);
  EXPECT_EQ(s.table_schema->replica_identity, "default");
  EXPECT_EQ(s.table_schema->lsn, Lsn(0x1F0));
  EXPECT_FALSE(s.table_schema->columns[2].nullable.has_value());  // unknown to pgoutput

  // A type modifier or a key flag alone is a change too.
  rec.clear();
  feed(begin_tx(0x300, 7));
  feed(relation({{1, "id", 23, -1}, {0, "name", 1043, 44}, {0, "qty", 20, -1}}, 'f'));
  feed(insert_row({"4", "d", "8"}), 0x2F0);
  feed(commit_tx(0x300));
  EXPECT_EQ(rec.sequence(), "B S I C");
  EXPECT_EQ(rec.changes.at(0).columns[1].type_name, "character varying(40)");
  EXPECT_EQ(rec.changes.at(0).table_schema->replica_identity, "full");

  // Without the option (the decoder's default) the cache is updated silently.
  decode::PgoutputOptions quiet = options;
  quiet.report_relation_changes = false;
  decode::PgoutputDecoder silent(quiet);
  sabot::testing::RecordingHandler none;
  for (const std::string& m : {relation(kTwo), begin_tx(0x100, 5), relation(kThree),
                               insert_row({"3", "c", "7"}), commit_tx(0x100)}) {
    silent.decode(m, Lsn(0), none);
  }
  EXPECT_EQ(none.sequence(), "B I C");
}

TEST(SchemaEvents, SpilledSchemaChangesReadBackWhole) {
  const sabot::test::TempDir dir("schema-spill");
  {
    spill::HeldEventStore store("test store", dir.path(), /*memory_limit_bytes=*/1);  // at once
    decode::SchemaChangeGate gate;
    ChangeEvent ddl = ddl_message(kAlterItems, 0x77);
    gate.admit(ddl);
    ChangeEvent changed = relation_changed(relation_columns());
    store.append(9, 9, ChangeEvent(ddl));
    store.append(9, 9, ChangeEvent(changed));
    EXPECT_GT(store.bytes_spilled(), 0u);
    const std::vector<ChangeEvent> back = store.take(9);
    ASSERT_EQ(back.size(), 2u);
    ASSERT_TRUE(back[0].table_schema);
    EXPECT_EQ(back[0].ddl, "ALTER TABLE");
    EXPECT_EQ(*back[0].table_schema, *ddl.table_schema);
    EXPECT_EQ(back[0].key_columns, Names{"id"});
    ASSERT_TRUE(back[1].table_schema);
    EXPECT_EQ(*back[1].table_schema, *changed.table_schema);
    EXPECT_FALSE(back[1].table_schema->columns[0].nullable.has_value());
  }
}
