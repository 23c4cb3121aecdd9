// End-to-end: real PostgreSQL (scripts/pg-local), real SQL, `sabot-cdc stream` to an end LSN read
// from the server. Expected values are written from the SQL each test runs.
#include <gtest/gtest.h>

#include <set>

#include "json_events.hpp"
#include "local_postgres.hpp"
#include "plugin_params.hpp"
#include "sabot/sabot.hpp"
#include "text.hpp"

using namespace sabot::test;

namespace {

class StreamTest : public ::testing::TestWithParam<std::string> {
 protected:
  LocalPostgres& pg = LocalPostgres::shared();
  // Parameter: "w1" / "w2" (wal2json format 1 / 2) or "pg" (pgoutput).
  std::vector<std::string> format_args(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = plugin_stream_args(GetParam());
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::vector<std::string> init_args() const { return {"--plugin", plugin_of(GetParam())}; }
};

}  // namespace

TEST_P(StreamTest, InsertUpdateDeleteInOrderWithKeys) {
  pg.sql("CREATE TABLE crud_" + GetParam() + " (id int PRIMARY KEY, name text, qty int)");
  const std::string t = "crud_" + GetParam();
  create_slot(pg, "crud_slot_" + GetParam(), init_args());
  pg.sql("INSERT INTO " + t + " VALUES (1, 'apple', 5), (2, 'pear', 7)");
  pg.sql("UPDATE " + t + " SET qty = 6 WHERE id = 1");
  pg.sql("UPDATE " + t + " SET id = 3 WHERE id = 2");
  pg.sql("DELETE FROM " + t + " WHERE id = 1");
  auto events = stream_to_now(pg, "crud_slot_" + GetParam(), format_args());

  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].op, "insert");
  EXPECT_EQ(events[0].schema, "public");
  EXPECT_EQ(events[0].table, t);
  EXPECT_EQ(events[0].columns.at("id"), "1");
  EXPECT_EQ(events[0].columns.at("name"), "\"apple\"");
  EXPECT_FALSE(events[0].old);
  EXPECT_EQ(events[1].columns.at("name"), "\"pear\"");
  EXPECT_EQ(events[0].xid, events[1].xid);
  EXPECT_EQ(events[0].seq, 0u);
  EXPECT_EQ(events[1].seq, 1u);

  EXPECT_EQ(events[2].op, "update");
  EXPECT_EQ(events[2].columns.at("qty"), "6");
  EXPECT_EQ(events[3].op, "update");
  EXPECT_EQ(events[3].columns.at("id"), "3");
  ASSERT_TRUE(events[3].old);  // the key changed: the old key is sent
  EXPECT_EQ(events[3].old->at("id"), "2");

  EXPECT_EQ(events[4].op, "delete");
  EXPECT_TRUE(events[4].columns.empty());
  ASSERT_TRUE(events[4].old);
  EXPECT_EQ(events[4].old->at("id"), "1");

  std::set<uint64_t> xids;
  for (const auto& e : events) xids.insert(e.xid);
  EXPECT_EQ(xids.size(), 4u);  // one INSERT statement, two UPDATEs, one DELETE
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LE(*sabot::Lsn::parse(events[i - 1].commit_lsn), *sabot::Lsn::parse(events[i].commit_lsn));
  }
  EXPECT_TRUE(contains(events[0].commit_time, "T") && events[0].commit_time.back() == 'Z');
}

TEST_P(StreamTest, MultiTableTransactionSharesXidAndCommitLsn) {
  const std::string a = "mt_orders_" + GetParam(), b = "mt_items_" + GetParam();
  pg.sql("CREATE TABLE " + a + " (id int PRIMARY KEY, total numeric(10,2));"
         "CREATE TABLE " + b + " (id int PRIMARY KEY, order_id int, sku text)");
  create_slot(pg, "mt_slot_" + GetParam(), init_args());
  pg.sql("BEGIN; INSERT INTO " + a + " VALUES (1, 10.50); INSERT INTO " + b +
         " VALUES (1, 1, 'x'), (2, 1, 'y'); UPDATE " + a + " SET total = 11.00 WHERE id = 1; COMMIT");
  auto events = stream_to_now(pg, "mt_slot_" + GetParam(), format_args());
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].xid, events[0].xid);
    EXPECT_EQ(events[i].commit_lsn, events[0].commit_lsn);
    EXPECT_EQ(events[i].seq, i);
  }
  EXPECT_EQ(events[0].table, a);
  EXPECT_EQ(events[1].table, b);
  EXPECT_EQ(events[2].table, b);
  EXPECT_EQ(events[3].columns.at("total"), "\"11.00\"");  // numeric stays an exact string
}

TEST_P(StreamTest, TableFilterSelectsTablesItNames) {
  const std::string p = GetParam();
  pg.sql("CREATE TABLE flt_keep_" + p + " (id int PRIMARY KEY); CREATE TABLE flt_drop_" + p +
         " (id int PRIMARY KEY); CREATE TABLE flt_audit_" + p + " (id int PRIMARY KEY)");
  create_slot(pg, "flt_slot_" + p, init_args());
  pg.sql("INSERT INTO flt_keep_" + p + " VALUES (1); INSERT INTO flt_drop_" + p +
         " VALUES (2); INSERT INTO flt_audit_" + p + " VALUES (3)");
  // Exact names (pushed down to wal2json's add-tables) select, never exclude.
  auto only_keep = stream_to_now(pg, "flt_slot_" + p,
                                 format_args({"--tables", "public.flt_keep_" + p}));
  ASSERT_EQ(only_keep.size(), 1u);
  EXPECT_EQ(only_keep[0].table, "flt_keep_" + p);
}

TEST_P(StreamTest, WildcardPatternsFilterOnTheClient) {
  const std::string p = GetParam();
  pg.sql("CREATE TABLE wc_a1_" + p + " (id int PRIMARY KEY); CREATE TABLE wc_b1_" + p +
         " (id int PRIMARY KEY); CREATE TABLE wc_a22_" + p + " (id int PRIMARY KEY)");
  create_slot(pg, "wc_slot_" + p, init_args());
  pg.sql("INSERT INTO wc_a1_" + p + " VALUES (1); INSERT INTO wc_b1_" + p + " VALUES (2);"
         "INSERT INTO wc_a22_" + p + " VALUES (3)");
  auto events = stream_to_now(pg, "wc_slot_" + p,
                              format_args({"--tables", "*.wc_a?_" + p + ",wc_b*"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].table, "wc_a1_" + p);
  EXPECT_EQ(events[1].table, "wc_b1_" + p);
}

TEST_P(StreamTest, ReplicaIdentityFullSendsTheWholeOldRow) {
  const std::string t = "full_" + GetParam();
  pg.sql("CREATE TABLE " + t + " (id int PRIMARY KEY, name text, qty int);"
         "ALTER TABLE " + t + " REPLICA IDENTITY FULL; INSERT INTO " + t + " VALUES (1, 'a', 1)");
  create_slot(pg, "full_slot_" + GetParam(), init_args());
  pg.sql("UPDATE " + t + " SET name = 'b', qty = 2 WHERE id = 1; DELETE FROM " + t);
  auto events = stream_to_now(pg, "full_slot_" + GetParam(), format_args());
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(events[0].old);
  EXPECT_EQ(events[0].old->at("name"), "\"a\"");
  EXPECT_EQ(events[0].old->at("qty"), "1");
  EXPECT_EQ(events[0].columns.at("name"), "\"b\"");
  ASSERT_TRUE(events[1].old);
  EXPECT_EQ(events[1].old->at("name"), "\"b\"");
  EXPECT_EQ(events[1].old->at("qty"), "2");
}

TEST_P(StreamTest, TypesNullsAndUnicodeRenderAsDocumented) {
  const std::string t = "types_" + GetParam();
  pg.sql("CREATE TABLE " + t + " (id int PRIMARY KEY, c_int2 int2, c_int4 int4, c_int8 int8, "
         "c_num numeric(20,6), c_f4 float4, c_f8 float8, c_bool bool, c_text text, "
         "c_varchar varchar(10), c_char char(5), c_date date, c_time time, c_ts timestamp, "
         "c_tstz timestamptz, c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, "
         "c_bytea bytea, c_inet inet, c_intarr int[], c_textarr text[])");
  create_slot(pg, "types_slot_" + GetParam(), init_args());
  pg.sql("INSERT INTO " + t + " VALUES (1, -32768, 2147483647, 9223372036854775807, "
         "12345678901234.123456, 1.5, -2.25e100, true, E'h\\u00e9llo \\U0001F418 \"q\"\\n\\\\', "
         "'abc', 'ab', '2024-02-29', '13:45:00.5', '2024-02-29 13:45:00.123456', "
         "'2024-02-29 13:45:00.123456+02', '1 day 02:03:04', "
         "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\": 1, \"a\": 2}', "
         "'\\x00ff', '192.168.0.1/24', '{1,2,3}', '{\"a b\",c}')");
  pg.sql("INSERT INTO " + t + " (id) VALUES (2)");
  pg.sql("INSERT INTO " + t + " (id, c_text) VALUES (3, '')");
  auto events = stream_to_now(pg, "types_slot_" + GetParam(), format_args());
  ASSERT_EQ(events.size(), 3u);
  const std::string& row = events[0].raw;
  for (const char* expected : {
           "\"c_int2\":-32768", "\"c_int4\":2147483647", "\"c_int8\":9223372036854775807",
           "\"c_num\":\"12345678901234.123456\"", "\"c_f4\":1.5", "\"c_f8\":-2.25e+100",
           "\"c_bool\":true", "\"c_text\":\"h\xC3\xA9llo \xF0\x9F\x90\x98 \\\"q\\\"\\n\\\\\"",
           "\"c_varchar\":\"abc\"", "\"c_char\":\"ab   \"", "\"c_date\":\"2024-02-29\"",
           "\"c_time\":\"13:45:00.5\"", "\"c_ts\":\"2024-02-29 13:45:00.123456\"",
           "\"c_tstz\":\"2024-02-29 11:45:00.123456+00\"", "\"c_interval\":\"1 day 02:03:04\"",
           "\"c_uuid\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"",
           "\"c_json\":\"{\\\"a\\\": [1, 2]}\"", "\"c_jsonb\":\"{\\\"a\\\": 2, \\\"b\\\": 1}\"",
           "\"c_bytea\":\"\\\\x00ff\"", "\"c_inet\":\"192.168.0.1/24\"",
           "\"c_intarr\":\"{1,2,3}\"", "\"c_textarr\":\"{\\\"a b\\\",c}\""}) {
    EXPECT_TRUE(contains(row, expected)) << "missing " << expected << " in\n" << row;
  }
  for (const auto& [name, value] : events[1].columns) {
    if (name != "id") {
      EXPECT_EQ(value, "null") << name;
    }
  }
  EXPECT_EQ(events[2].columns.at("c_text"), "\"\"");  // empty is not NULL
  EXPECT_EQ(events[2].columns.at("c_varchar"), "null");
}

TEST_P(StreamTest, ResumesFromTheConfirmedPositionWithoutLossOrDuplicates) {
  const std::string t = "resume_" + GetParam();
  pg.sql("CREATE TABLE " + t + " (id int PRIMARY KEY)");
  create_slot(pg, "resume_slot_" + GetParam(), init_args());
  pg.sql("INSERT INTO " + t + " SELECT generate_series(1, 50)");
  auto first = stream_to_now(pg, "resume_slot_" + GetParam(), format_args());
  pg.sql("INSERT INTO " + t + " SELECT generate_series(51, 80)");
  pg.sql("INSERT INTO " + t + " VALUES (81)");
  auto second = stream_to_now(pg, "resume_slot_" + GetParam(), format_args());
  ASSERT_EQ(first.size(), 50u);
  ASSERT_EQ(second.size(), 31u);
  EXPECT_EQ(second[0].columns.at("id"), "51");
  EXPECT_EQ(second[30].columns.at("id"), "81");
  // Nothing new: a third run prints nothing and still exits 0.
  EXPECT_TRUE(stream_to_now(pg, "resume_slot_" + GetParam(), format_args()).empty());
}

INSTANTIATE_TEST_SUITE_P(Plugins, StreamTest, ::testing::Values("w1", "w2", "pg"),
                         plugin_test_name);

TEST(StreamTruncate, BothPluginsReportTruncateWithPgoutputOptions) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE trunc_a (id int PRIMARY KEY); CREATE TABLE trunc_b (id int PRIMARY KEY);"
         "INSERT INTO trunc_a VALUES (1); INSERT INTO trunc_b VALUES (1)");
  create_slot(pg, "trunc_pg");
  create_slot(pg, "trunc_w2", {"--plugin", "wal2json"});
  pg.sql("TRUNCATE trunc_a, trunc_b RESTART IDENTITY");
  pg.sql("INSERT INTO trunc_a VALUES (2)");
  auto pgoutput = stream_to_now(pg, "trunc_pg");
  auto wal2json = stream_to_now(pg, "trunc_w2", {"--plugin", "wal2json"});
  for (const auto* events : {&pgoutput, &wal2json}) {
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ((*events)[0].op, "truncate");
    EXPECT_EQ((*events)[0].table, "trunc_a");
    EXPECT_EQ((*events)[1].op, "truncate");
    EXPECT_EQ((*events)[1].table, "trunc_b");
    EXPECT_EQ((*events)[0].xid, (*events)[1].xid);
    EXPECT_EQ((*events)[2].op, "insert");
  }
  EXPECT_TRUE(contains(pgoutput[0].raw, "\"restart_identity\":true")) << pgoutput[0].raw;
}

TEST(StreamMessages, LogicalMessagesArriveInOrder) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE msg_t (id int PRIMARY KEY)");
  create_slot(pg, "msg_pg");
  create_slot(pg, "msg_w2", {"--plugin", "wal2json"});
  pg.sql("BEGIN; INSERT INTO msg_t VALUES (1); "
         "SELECT pg_logical_emit_message(true, 'app', 'inside'); COMMIT");
  pg.sql("SELECT pg_logical_emit_message(false, 'app', 'outside')");
  for (auto events : {stream_to_now(pg, "msg_pg"), stream_to_now(pg, "msg_w2", {"--plugin", "wal2json"})}) {
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[1].op, "message");
    EXPECT_EQ(events[1].prefix, "app");
    EXPECT_EQ(events[1].content, "inside");
    EXPECT_EQ(events[1].xid, events[0].xid);
    EXPECT_EQ(events[2].op, "message");
    EXPECT_EQ(events[2].content, "outside");
    EXPECT_TRUE(contains(events[2].raw, "\"transactional\":false"));
  }
}
