// PgoutputDecoder: hand-built messages of every type, the streaming and two-phase state machines,
// and every error path. Replay of real captured messages: tests/golden/pgoutput_golden_test.cpp.
#include "decode/pgoutput/pgoutput_decoder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "cdc_error_checks.hpp"
#include "decode/pgoutput/pgoutput_reader.hpp"
#include "decode/pgoutput/relation_cache.hpp"
#include "files.hpp"
#include "pgoutput_builder.hpp"
#include "recording_handler.hpp"
#include "sabot/error.hpp"
#include "spill/held_event_store.hpp"

namespace {

using namespace sabot;
using namespace sabot::decode;
using namespace sabot::test::pgwire;
using sabot::test::entry_count;
using sabot::test::TempDir;
using sabot::testing::RecordingHandler;

// 2024-01-01 00:00:00 UTC in PostgreSQL-epoch microseconds, and as a sabot::Timestamp.
constexpr int64_t kPgTs = 757'382'400'000'000;
const Timestamp kUnixTs = Timestamp(std::chrono::microseconds(1'704'067'200'000'000));

constexpr uint32_t kOrders = 16384;
constexpr uint32_t kItems = 16390;

// public.orders (id integer key, note text, amount numeric(10,2)).
std::string orders_relation(Xid xid = {}) {
  return relation_msg(kOrders, "public", "orders", 'd',
                      {{1, "id", 23, -1}, {0, "note", 25, -1}, {0, "amount", 1700, 655366}}, xid);
}
// shop.items (sku text key, qty integer key, label varchar(20)).
std::string items_relation(Xid xid = {}) {
  return relation_msg(kItems, "shop", "items", 'd',
                      {{1, "sku", 25, -1}, {1, "qty", 23, -1}, {0, "label", 1043, 24}}, xid);
}

PgoutputOptions opts(int proto, std::string spill_dir = {}, size_t limit = 64u << 20) {
  PgoutputOptions o;
  o.protocol_version = proto;
  o.spill_dir = std::move(spill_dir);
  o.memory_limit_bytes = limit;
  return o;
}

// ---- fixture ------------------------------------------------------------------------------------

class PgoutputDecodeTest : public ::testing::Test {
 protected:
  explicit PgoutputDecodeTest(int proto = 3) : decoder_(opts(proto)) {}

  void feed(const std::string& payload) { decoder_.decode(payload, Lsn(next_lsn_++), rec_); }
  void feed_at(const std::string& payload, uint64_t lsn) {
    decoder_.decode(payload, Lsn(lsn), rec_);
  }

  // Decodes `payload` at `lsn`, expects CdcError{Protocol} naming the LSN and `needle` (not empty:
  // an empty needle is in every message).
  void expect_error(const std::string& payload, const std::string& needle,
                    uint64_t lsn = 0x2A0000C8) {
    try {
      decoder_.decode(payload, Lsn(lsn), rec_);
      ADD_FAILURE() << "no error; expected one mentioning: " << needle;
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Protocol) << e.what();
      const std::string what = e.what();
      EXPECT_NE(what.find(Lsn(lsn).to_string()), std::string::npos) << what;
      EXPECT_FALSE(needle.empty()) << "an empty needle is in every message; this one: " << what;
      EXPECT_NE(what.find(needle), std::string::npos) << "missing '" << needle << "' in: " << what;
      EXPECT_EQ(e.lsn(), std::optional<Lsn>(Lsn(lsn))) << what;  // the position as a field too
    }
  }

  PgoutputDecoder decoder_;
  RecordingHandler rec_;
  uint64_t next_lsn_ = 0x1000;
};

class PgoutputDecodeV1Test : public PgoutputDecodeTest {
 protected:
  PgoutputDecodeV1Test() : PgoutputDecodeTest(1) {}
};
class PgoutputDecodeV2Test : public PgoutputDecodeTest {
 protected:
  PgoutputDecodeV2Test() : PgoutputDecodeTest(2) {}
};

// ---- plain transactions -------------------------------------------------------------------------

TEST_F(PgoutputDecodeTest, BeginInsertCommit) {
  feed_at(begin_msg(0x10000200, kPgTs, 742), 0x10000100);
  feed_at(orders_relation(), 0x10000100);
  feed_at(insert_msg(kOrders, {txt("1"), txt("first"), txt("12.50")}), 0x10000100);
  feed_at(commit_msg(0x10000200, 0x10000230, kPgTs), 0x10000230);

  ASSERT_EQ(rec_.sequence(), "B I C");
  EXPECT_EQ(rec_.begins[0].xid, 742u);
  EXPECT_EQ(rec_.begins[0].commit_lsn, Lsn(0x10000200));
  EXPECT_EQ(rec_.begins[0].commit_time, kUnixTs);
  EXPECT_EQ(format_iso8601(rec_.begins[0].commit_time), "2024-01-01T00:00:00.000000Z");

  const ChangeEvent& e = rec_.changes[0];
  EXPECT_EQ(e.op, Op::Insert);
  EXPECT_EQ(e.schema, "public");
  EXPECT_EQ(e.table, "orders");
  EXPECT_EQ(e.lsn, Lsn(0x10000100));
  EXPECT_EQ(e.key_columns, std::vector<std::string>{"id"});
  EXPECT_FALSE(e.old.has_value());
  ASSERT_EQ(e.columns.size(), 3u);
  EXPECT_EQ(e.columns[0].name, "id");
  EXPECT_EQ(e.columns[0].type_oid, 23u);
  EXPECT_EQ(e.columns[0].type_name, "integer");
  EXPECT_EQ(e.columns[0].value.as_int64(), 1);
  EXPECT_EQ(e.column("note")->value.text(), "first");
  EXPECT_EQ(e.column("amount")->type_name, "numeric(10,2)");
  EXPECT_EQ(e.column("amount")->value.as_numeric_text(), "12.50");
  EXPECT_FALSE(e.columns[2].unchanged_toast);

  EXPECT_EQ(rec_.commits[0].xid, 742u);
  EXPECT_EQ(rec_.commits[0].commit_lsn, Lsn(0x10000200));
  EXPECT_EQ(rec_.commits[0].end_lsn, Lsn(0x10000230));
  EXPECT_EQ(rec_.commits[0].commit_time, kUnixTs);
  EXPECT_FALSE(decoder_.in_transaction());
}

TEST_F(PgoutputDecodeTest, NullAndEmptyStringAreDistinct) {
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  feed(insert_msg(kOrders, {txt("1"), kNull, txt("")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  const ChangeEvent& e = rec_.changes.at(0);
  EXPECT_TRUE(e.column("note")->value.is_null());
  EXPECT_FALSE(e.column("note")->unchanged_toast);
  EXPECT_FALSE(e.column("amount")->value.is_null());
  EXPECT_EQ(e.column("amount")->value.text(), "");
}

TEST_F(PgoutputDecodeTest, CommitTimeBeforeThePostgresEpochAndMicroseconds) {
  feed(orders_relation());
  feed(begin_msg(0x200, -1, 5));  // 1999-12-31T23:59:59.999999Z
  feed(commit_msg(0x200, 0x230, 123456789));
  EXPECT_EQ(format_iso8601(rec_.begins[0].commit_time), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_iso8601(rec_.commits[0].commit_time), "2000-01-01T00:02:03.456789Z");
}

TEST_F(PgoutputDecodeTest, UnchangedToastColumnIsMarkedNotNull) {
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  feed(update_msg(kOrders, 0, {}, {txt("1"), kToast, txt("3.00")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  ASSERT_EQ(rec_.sequence(), "B U C");
  const ChangeEvent& e = rec_.changes[0];
  EXPECT_EQ(e.op, Op::Update);
  EXPECT_FALSE(e.old.has_value());  // the key did not change
  const Column* note = e.column("note");
  ASSERT_NE(note, nullptr);
  EXPECT_TRUE(note->unchanged_toast);
  EXPECT_TRUE(note->value.is_null());
  EXPECT_EQ(note->type_name, "text");
  EXPECT_FALSE(e.column("amount")->unchanged_toast);
}

TEST_F(PgoutputDecodeTest, UpdateWithKeyOldTupleKeepsOnlyKeyColumns) {
  feed(items_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  // 'K': the key columns, the others sent as nulls.
  feed(update_msg(kItems, 'K', {txt("A-1"), txt("2"), kNull}, {txt("A-2"), txt("3"), txt("box")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  const ChangeEvent& e = rec_.changes.at(0);
  ASSERT_TRUE(e.old.has_value());
  ASSERT_EQ(e.old->size(), 2u);
  EXPECT_EQ((*e.old)[0].name, "sku");
  EXPECT_EQ((*e.old)[0].value.text(), "A-1");
  EXPECT_EQ((*e.old)[1].name, "qty");
  EXPECT_EQ((*e.old)[1].value.text(), "2");
  EXPECT_EQ(e.old_column("label"), nullptr);
  EXPECT_EQ(e.key_columns, (std::vector<std::string>{"sku", "qty"}));
  EXPECT_EQ(e.schema, "shop");
  EXPECT_EQ(e.column("label")->type_name, "character varying(20)");
  EXPECT_EQ(e.column("sku")->value.text(), "A-2");
}

TEST_F(PgoutputDecodeTest, UpdateAndDeleteWithFullOldTuple) {
  feed(relation_msg(kOrders, "public", "orders", 'f',
                    {{1, "id", 23, -1}, {1, "note", 25, -1}, {1, "amount", 1700, -1}}));
  feed(begin_msg(0x200, kPgTs, 5));
  feed(update_msg(kOrders, 'O', {txt("1"), txt("old"), txt("1.0")},
                  {txt("1"), txt("new"), txt("2.0")}));
  feed(delete_msg(kOrders, 'O', {txt("1"), txt("new"), kNull}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  ASSERT_EQ(rec_.sequence(), "B U D C");
  const ChangeEvent& u = rec_.changes[0];
  ASSERT_TRUE(u.old.has_value());
  ASSERT_EQ(u.old->size(), 3u);
  EXPECT_EQ(u.old_column("note")->value.text(), "old");
  EXPECT_EQ(u.column("note")->value.text(), "new");
  const ChangeEvent& d = rec_.changes[1];
  EXPECT_EQ(d.op, Op::Delete);
  EXPECT_TRUE(d.columns.empty());
  ASSERT_EQ(d.old->size(), 3u);
  EXPECT_TRUE(d.old_column("amount")->value.is_null());
  EXPECT_EQ(d.old_column("amount")->type_name, "numeric");
}

TEST_F(PgoutputDecodeTest, DeleteWithKeyOldTuple) {
  feed(items_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  feed(delete_msg(kItems, 'K', {txt("A-1"), txt("2"), kNull}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  const ChangeEvent& d = rec_.changes.at(0);
  EXPECT_EQ(d.op, Op::Delete);
  EXPECT_TRUE(d.columns.empty());
  ASSERT_EQ(d.old->size(), 2u);
  EXPECT_EQ(d.old_column("sku")->value.text(), "A-1");
}

TEST_F(PgoutputDecodeTest, TruncateOfSeveralRelationsWithFlags) {
  feed(orders_relation());
  feed(items_relation());
  const struct {
    uint8_t options;
    bool cascade, restart;
  } cases[] = {{0, false, false}, {1, true, false}, {2, false, true}, {3, true, true}};
  uint64_t lsn = 0x300;
  for (const auto& c : cases) {
    rec_.clear();
    feed(begin_msg(lsn, kPgTs, 9));
    feed_at(truncate_msg({kItems, kOrders}, c.options), lsn - 0x10);
    feed(commit_msg(lsn, lsn + 0x30, kPgTs));
    ASSERT_EQ(rec_.sequence(), "B T T C") << int(c.options);
    EXPECT_EQ(rec_.changes[0].table, "items");
    EXPECT_EQ(rec_.changes[1].table, "orders");
    for (const ChangeEvent& e : rec_.changes) {
      EXPECT_EQ(e.op, Op::Truncate);
      EXPECT_EQ(e.truncate_cascade, c.cascade);
      EXPECT_EQ(e.truncate_restart_identity, c.restart);
      EXPECT_TRUE(e.columns.empty());
      EXPECT_FALSE(e.old.has_value());
      EXPECT_EQ(e.lsn, Lsn(lsn - 0x10));
    }
    lsn += 0x100;
  }
}

TEST_F(PgoutputDecodeTest, TransactionalAndNonTransactionalMessages) {
  const std::string binary("a\0b\xff", 4);
  feed(message_msg(false, 0x150, "audit", binary));
  feed(begin_msg(0x200, kPgTs, 5));
  feed(message_msg(true, 0x180, "pfx", "hello"));
  feed(commit_msg(0x200, 0x230, kPgTs));
  ASSERT_EQ(rec_.sequence(), "N B M C");
  const ChangeEvent& n = rec_.messages[0];
  EXPECT_EQ(n.op, Op::Message);
  EXPECT_FALSE(n.message_transactional);
  EXPECT_EQ(n.message_prefix, "audit");
  EXPECT_EQ(n.message_content, binary);
  EXPECT_EQ(n.lsn, Lsn(0x150));
  EXPECT_EQ(n.transaction_id, 0u);
  const ChangeEvent& m = rec_.changes[0];
  EXPECT_TRUE(m.message_transactional);
  EXPECT_EQ(m.message_prefix, "pfx");
  EXPECT_EQ(m.message_content, "hello");
  EXPECT_EQ(m.lsn, Lsn(0x180));
  EXPECT_TRUE(m.schema.empty());
}

TEST_F(PgoutputDecodeTest, EmptyMessagePrefixAndContent) {
  feed(message_msg(false, 0x150, "", ""));
  ASSERT_EQ(rec_.sequence(), "N");
  EXPECT_EQ(rec_.messages[0].message_prefix, "");
  EXPECT_EQ(rec_.messages[0].message_content, "");
}

TEST_F(PgoutputDecodeTest, OriginIsAcceptedInsideATransaction) {
  feed(begin_msg(0x200, kPgTs, 5));
  feed(origin_msg(0xABCDEF0, "upstream_a"));
  feed(commit_msg(0x200, 0x230, kPgTs));
  EXPECT_EQ(rec_.sequence(), "B C");
}

TEST_F(PgoutputDecodeTest, EmptyTransaction) {
  feed(begin_msg(0x200, kPgTs, 5));
  feed(commit_msg(0x200, 0x230, kPgTs));
  EXPECT_EQ(rec_.sequence(), "B C");
}

TEST_F(PgoutputDecodeTest, CatalogNamespaceIsEmptyOnTheWire) {
  feed(relation_msg(1259, "", "pg_class", 'n', {{0, "relname", 19, -1}}));
  feed(begin_msg(0x200, kPgTs, 5));
  feed(insert_msg(1259, {txt("t")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  EXPECT_EQ(rec_.changes.at(0).schema, "pg_catalog");
  EXPECT_EQ(rec_.changes.at(0).column("relname")->type_name, "name");
  EXPECT_TRUE(rec_.changes.at(0).key_columns.empty());
}

// ---- relation cache -----------------------------------------------------------------------------

TEST_F(PgoutputDecodeTest, RelationMessageReplacesTheCachedEntry) {
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  feed(insert_msg(kOrders, {txt("1"), txt("a"), txt("1.00")}));
  feed(commit_msg(0x200, 0x230, kPgTs));

  // Column added.
  feed(begin_msg(0x300, kPgTs, 6));
  feed(relation_msg(kOrders, "public", "orders", 'd',
                    {{1, "id", 23, -1},
                     {0, "note", 25, -1},
                     {0, "amount", 1700, 655366},
                     {0, "status", 1043, -1}}));
  feed(insert_msg(kOrders, {txt("2"), txt("b"), txt("2.00"), txt("new")}));
  feed(commit_msg(0x300, 0x330, kPgTs));
  // Column renamed and its type changed (integer -> bigint), key moved, table renamed.
  feed(begin_msg(0x400, kPgTs, 7));
  feed(relation_msg(kOrders, "sales", "orders_v2", 'd',
                    {{0, "order_id", 20, -1},
                     {1, "note", 25, -1},
                     {0, "amount", 1700, 655366},
                     {0, "status", 1043, -1}}));
  feed(insert_msg(kOrders, {txt("3"), txt("c"), txt("3.00"), kNull}));
  feed(commit_msg(0x400, 0x430, kPgTs));

  ASSERT_EQ(rec_.changes.size(), 3u);
  EXPECT_EQ(rec_.changes[0].columns.size(), 3u);
  EXPECT_EQ(rec_.changes[1].columns.size(), 4u);
  EXPECT_EQ(rec_.changes[1].column("status")->value.text(), "new");
  EXPECT_EQ(rec_.changes[1].column("status")->type_name, "character varying");
  const ChangeEvent& e = rec_.changes[2];
  EXPECT_EQ(e.schema, "sales");
  EXPECT_EQ(e.table, "orders_v2");
  EXPECT_EQ(e.columns[0].name, "order_id");
  EXPECT_EQ(e.columns[0].type_oid, 20u);
  EXPECT_EQ(e.columns[0].type_name, "bigint");
  EXPECT_EQ(e.key_columns, std::vector<std::string>{"note"});
  EXPECT_EQ(e.column("id"), nullptr);

  // A tuple in the old shape is now an error.
  feed(begin_msg(0x500, kPgTs, 8));
  expect_error(insert_msg(kOrders, {txt("4"), txt("d"), txt("4.00")}),
               "new tuple has 3 columns but relation sales.orders_v2 (OID 16384) has 4");
}

TEST_F(PgoutputDecodeTest, TypeMessageNamesUserDefinedTypes) {
  feed(type_msg(16392, "public", "mood"));
  feed(type_msg(16400, "Geo", "Point3"));
  feed(relation_msg(
      16500, "public", "moods", 'd',
      {{1, "id", 23, -1}, {0, "m", 16392, -1}, {0, "p", 16400, -1}, {0, "x", 99999, -1}}));
  feed(begin_msg(0x200, kPgTs, 5));
  feed(insert_msg(16500, {txt("1"), txt("happy"), txt("(1,2,3)"), txt("?")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  const ChangeEvent& e = rec_.changes.at(0);
  EXPECT_EQ(e.column("m")->type_name, "mood");
  EXPECT_EQ(e.column("m")->type_oid, 16392u);
  EXPECT_EQ(e.column("p")->type_name, "\"Geo\".\"Point3\"");
  // Unknown OID and no Type message: no name, value still text.
  EXPECT_EQ(e.column("x")->type_name, "");
  EXPECT_EQ(e.column("x")->type_oid, 99999u);
  EXPECT_EQ(e.column("x")->value.text(), "?");
}

TEST_F(PgoutputDecodeTest, TypeMessageAfterTheRelationRefreshesItsColumns) {
  feed(relation_msg(16500, "public", "moods", 'd', {{1, "id", 23, -1}, {0, "m", 16392, -1}}));
  feed(type_msg(16392, "app", "mood"));
  EXPECT_EQ(decoder_.relations().find(16500)->columns[1].type_name, "app.mood");
}

TEST(PgoutputTypeNames, BuiltinTypesAsFormatTypePrintsThem) {
  using pgoutput::builtin_type_name;
  // Expected names: PostgreSQL 15's format_type(oid, typmod) for these columns.
  EXPECT_EQ(builtin_type_name(23, -1, true), "integer");
  EXPECT_EQ(builtin_type_name(20, -1, true), "bigint");
  EXPECT_EQ(builtin_type_name(21, -1, true), "smallint");
  EXPECT_EQ(builtin_type_name(16, -1, true), "boolean");
  EXPECT_EQ(builtin_type_name(700, -1, true), "real");
  EXPECT_EQ(builtin_type_name(701, -1, true), "double precision");
  EXPECT_EQ(builtin_type_name(18, -1, true), "\"char\"");
  EXPECT_EQ(builtin_type_name(1043, 54, true), "character varying(50)");
  EXPECT_EQ(builtin_type_name(1043, -1, true), "character varying");
  EXPECT_EQ(builtin_type_name(1700, 655366, true), "numeric(10,2)");
  EXPECT_EQ(builtin_type_name(1700, 327684, true), "numeric(5,0)");
  EXPECT_EQ(builtin_type_name(1700, -1, true), "numeric");
  EXPECT_EQ(builtin_type_name(1184, 3, true), "timestamp(3) with time zone");
  EXPECT_EQ(builtin_type_name(1184, -1, true), "timestamp with time zone");
  EXPECT_EQ(builtin_type_name(1114, 0, true), "timestamp(0) without time zone");
  EXPECT_EQ(builtin_type_name(1114, -1, true), "timestamp without time zone");
  EXPECT_EQ(builtin_type_name(1083, 1, true), "time(1) without time zone");
  EXPECT_EQ(builtin_type_name(1266, 6, true), "time(6) with time zone");
  EXPECT_EQ(builtin_type_name(1042, 9, true), "character(5)");
  EXPECT_EQ(builtin_type_name(1042, -1, true), "bpchar");
  EXPECT_EQ(builtin_type_name(1042, -1, false), "character");
  EXPECT_EQ(builtin_type_name(1560, 4, true), "bit(4)");
  EXPECT_EQ(builtin_type_name(1562, 9, true), "bit varying(9)");
  EXPECT_EQ(builtin_type_name(1186, 470286338, true), "interval day to second(2)");
  EXPECT_EQ(builtin_type_name(1186, 327679, true), "interval year");
  EXPECT_EQ(builtin_type_name(1186, 2147418116, true), "interval(4)");
  EXPECT_EQ(builtin_type_name(1186, -1, true), "interval");
  EXPECT_EQ(builtin_type_name(1186, 201392127, true), "interval hour to minute");
  EXPECT_EQ(builtin_type_name(1186, 402653184, true), "interval minute to second(0)");
  EXPECT_EQ(builtin_type_name(1186, 458751, true), "interval year to month");
  EXPECT_EQ(builtin_type_name(1700, 329730, true), "numeric(5,-2)");  // negative scale, PG 15
  EXPECT_EQ(builtin_type_name(1700, 65537004, true), "numeric(1000,1000)");
  EXPECT_EQ(builtin_type_name(1007, -1, true), "integer[]");
  EXPECT_EQ(builtin_type_name(1015, 24, true), "character varying(20)[]");
  EXPECT_EQ(builtin_type_name(1015, 24, false), "character varying[]");
  EXPECT_EQ(builtin_type_name(1009, -1, true), "text[]");
  EXPECT_EQ(builtin_type_name(199, -1, true), "json[]");
  EXPECT_EQ(builtin_type_name(3807, -1, true), "jsonb[]");
  EXPECT_EQ(builtin_type_name(2951, -1, true), "uuid[]");
  EXPECT_EQ(builtin_type_name(1700, 655366, false), "numeric");
  EXPECT_EQ(builtin_type_name(3904, -1, true), "int4range");
  EXPECT_EQ(builtin_type_name(5069, -1, true), "xid8");
  EXPECT_EQ(builtin_type_name(271, -1, true), "xid8[]");
  EXPECT_EQ(builtin_type_name(0, -1, true), "");
  EXPECT_EQ(builtin_type_name(16392, -1, true), "");
}

TEST(PgoutputTypeNames, DecoderOptionWithoutTypmod) {
  PgoutputOptions o = opts(3);
  o.type_names_with_typmod = false;
  PgoutputDecoder decoder(o);
  RecordingHandler rec;
  decoder.decode(orders_relation(), Lsn(1), rec);
  EXPECT_EQ(decoder.relations().find(kOrders)->columns[2].type_name, "numeric");
}

// ---- protocol versions --------------------------------------------------------------------------

TEST_F(PgoutputDecodeV1Test, StreamingMessagesNeedProtocol2) {
  expect_error(stream_start_msg(700, true), "Stream Start needs protocol version 2");
  expect_error(stream_stop_msg(), "needs protocol version 2");
  expect_error(stream_commit_msg(700, 1, 2, 3), "needs protocol version 2");
  expect_error(stream_abort_msg(700, 700), "needs protocol version 2");
}

TEST_F(PgoutputDecodeV2Test, TwoPhaseMessagesNeedProtocol3) {
  expect_error(begin_prepare_msg(1, 2, 3, 700, "g"), "Begin Prepare needs protocol version 3");
  expect_error(prepare_msg('P', 1, 2, 3, 700, "g"), "needs protocol version 3");
  expect_error(commit_prepared_msg(1, 2, 3, 700, "g"), "needs protocol version 3");
  expect_error(rollback_prepared_msg(1, 2, 3, 4, 700, "g"), "needs protocol version 3");
  expect_error(prepare_msg('p', 1, 2, 3, 700, "g"), "needs protocol version 3");
}

TEST_F(PgoutputDecodeV1Test, PlainTransactionsAreTheSameInEveryVersion) {
  feed(begin_msg(0x200, kPgTs, 5));
  feed(orders_relation());
  feed(insert_msg(kOrders, {txt("1"), txt("a"), txt("1.00")}));
  feed(commit_msg(0x200, 0x230, kPgTs));
  EXPECT_EQ(rec_.sequence(), "B I C");
}

TEST(PgoutputDecoderOptions, RejectsUnknownProtocolVersions) {
  for (int v : {0, 5, -1}) {
    try {
      PgoutputDecoder d(opts(v));
      ADD_FAILURE() << v;
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config);
    }
  }
  PgoutputDecoder d4(opts(4));
  EXPECT_EQ(d4.options().protocol_version, 4);
}

// ---- streamed transactions ----------------------------------------------------------------------

TEST_F(PgoutputDecodeV2Test, StreamedTransactionIsHeldUntilStreamCommit) {
  const uint32_t top = 900, sub = 901;
  feed(stream_start_msg(top, true));
  feed(orders_relation(top));
  feed(insert_msg(kOrders, {txt("1"), txt("a"), txt("1")}, top));
  feed(insert_msg(kOrders, {txt("2"), txt("b"), txt("2")}, sub));
  feed(stream_stop_msg());
  // Another transaction commits in between, delivered at once.
  feed(begin_msg(0x500, kPgTs, 950));
  feed(insert_msg(kOrders, {txt("99"), txt("x"), txt("9")}));
  feed(commit_msg(0x500, 0x530, kPgTs));
  EXPECT_EQ(rec_.sequence(), "B I C");
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 1u);
  EXPECT_GT(decoder_.held_transactions().bytes_buffered(), 0u);

  feed(stream_start_msg(top, false));
  feed(update_msg(kOrders, 0, {}, {txt("1"), kToast, txt("5")}, top));
  feed(stream_stop_msg());
  feed_at(stream_commit_msg(top, 0x800, 0x830, kPgTs + 1), 0x830);

  ASSERT_EQ(rec_.sequence(), "B I C B I I U C");
  EXPECT_EQ(rec_.begins[1].xid, top);
  EXPECT_EQ(rec_.begins[1].commit_lsn, Lsn(0x800));
  EXPECT_EQ(rec_.begins[1].commit_time, kUnixTs + std::chrono::microseconds(1));
  EXPECT_EQ(rec_.commits[1].xid, top);
  EXPECT_EQ(rec_.commits[1].end_lsn, Lsn(0x830));
  EXPECT_EQ(rec_.changes[1].column("id")->value.text(), "1");
  EXPECT_EQ(rec_.changes[2].column("id")->value.text(), "2");
  EXPECT_TRUE(rec_.changes[3].column("note")->unchanged_toast);
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 0u);
  EXPECT_EQ(decoder_.held_transactions().bytes_buffered(), 0u);
}

TEST_F(PgoutputDecodeV2Test, StreamAbortOfASubtransactionDropsOnlyItsChanges) {
  const uint32_t top = 900;
  feed(orders_relation());
  feed(stream_start_msg(top, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, top));
  feed(insert_msg(kOrders, {txt("2"), kNull, kNull}, 901));
  feed(insert_msg(kOrders, {txt("3"), kNull, kNull}, 902));
  feed(message_msg(true, 0x100, "p", "in-901", 901));
  feed(truncate_msg({kOrders}, 0, 901));
  feed(stream_stop_msg());
  feed(stream_abort_msg(top, 901));  // ROLLBACK TO SAVEPOINT: between the blocks
  feed(stream_start_msg(top, false));
  feed(insert_msg(kOrders, {txt("4"), kNull, kNull}, 903));
  feed(stream_stop_msg());
  feed(stream_commit_msg(top, 0x800, 0x830, kPgTs));
  ASSERT_EQ(rec_.sequence(), "B I I I C");
  EXPECT_EQ(rec_.changes[0].column("id")->value.text(), "1");
  EXPECT_EQ(rec_.changes[1].column("id")->value.text(), "3");
  EXPECT_EQ(rec_.changes[2].column("id")->value.text(), "4");
}

TEST_F(PgoutputDecodeV2Test, StreamAbortOfTheTopTransactionDropsEverything) {
  feed(orders_relation());
  feed(stream_start_msg(900, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, 900));
  feed(insert_msg(kOrders, {txt("2"), kNull, kNull}, 901));
  feed(stream_stop_msg());
  feed(stream_abort_msg(900, 900));
  EXPECT_EQ(rec_.sequence(), "");
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 0u);
  // The xid is forgotten: committing it now is an error.
  expect_error(stream_commit_msg(900, 1, 2, 3), "xid 900 has no streamed transaction to commit");
}

TEST_F(PgoutputDecodeV2Test, InterleavedStreamedTransactions) {
  feed(orders_relation());
  feed(stream_start_msg(900, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, 900));
  feed(stream_stop_msg());
  feed(stream_start_msg(910, true));
  feed(insert_msg(kOrders, {txt("10"), kNull, kNull}, 910));
  feed(stream_stop_msg());
  feed(stream_start_msg(900, false));
  feed(insert_msg(kOrders, {txt("2"), kNull, kNull}, 900));
  feed(stream_stop_msg());
  feed(stream_commit_msg(910, 0x700, 0x730, kPgTs));
  feed(stream_commit_msg(900, 0x800, 0x830, kPgTs));
  ASSERT_EQ(rec_.sequence(), "B I C B I I C");
  EXPECT_EQ(rec_.begins[0].xid, 910u);
  EXPECT_EQ(rec_.changes[0].column("id")->value.text(), "10");
  EXPECT_EQ(rec_.begins[1].xid, 900u);
  EXPECT_EQ(rec_.changes[2].column("id")->value.text(), "2");
}

TEST_F(PgoutputDecodeV2Test, NonTransactionalMessageInsideAStreamIsDeliveredAtOnce) {
  feed(stream_start_msg(900, true));
  feed(message_msg(false, 0x100, "p", "now", 900));
  feed(message_msg(true, 0x101, "p", "later", 900));
  feed(stream_stop_msg());
  EXPECT_EQ(rec_.sequence(), "N");
  feed(stream_commit_msg(900, 0x800, 0x830, kPgTs));
  EXPECT_EQ(rec_.sequence(), "N B M C");
  EXPECT_EQ(rec_.changes[0].message_content, "later");
}

TEST_F(PgoutputDecodeV2Test, StreamStateErrors) {
  expect_error(stream_stop_msg(), "Stream Stop without Stream Start");
  expect_error(stream_start_msg(900, false), "first segment was not received");
  feed(stream_start_msg(900, true));
  expect_error(stream_start_msg(901, true), "Stream Start inside a stream block");

  feed(stream_start_msg(900, true));
  feed(stream_stop_msg());
  expect_error(stream_start_msg(900, true), "already streaming");

  feed(stream_start_msg(900, true));
  expect_error(stream_commit_msg(900, 1, 2, 3), "inside a stream block");
  feed(stream_start_msg(900, true));
  expect_error(stream_abort_msg(900, 900), "inside a stream block");
  feed(stream_start_msg(900, true));
  expect_error(begin_msg(1, 2, 3), "Begin inside a stream block");

  expect_error(stream_abort_msg(800, 801), "xid 800 has no streamed transaction to abort");
  expect_error(stream_commit_msg(800, 1, 2, 3), "xid 800 has no streamed transaction to commit");
  expect_error(Msg('S').u32(900).u8(2), "first segment flag is 2");
  expect_error(Msg('S').u32(0).u8(1), "xid is 0");
  expect_error(Msg('E').u8(0), "trailing");
}

TEST_F(PgoutputDecodeTest, StreamedChangeNeedsItsXid) {
  feed(orders_relation());
  feed(stream_start_msg(900, true));
  // Without the xid the OID is read as the xid and the rest is misaligned: an error, not a guess.
  expect_error(insert_msg(kOrders, {txt("1"), kNull, kNull}), "Insert");
  feed(stream_start_msg(900, true));
  expect_error(insert_msg(kOrders, {txt("1"), kNull, kNull}, 0), "streamed transaction xid is 0");
}

TEST(PgoutputStreamAbort, Protocol4ParallelAbortCarriesLsnAndTime) {
  pgoutput::ReadContext v4{4, false};
  std::string payload = Msg('A').u32(900).u32(901).u64(0x1234).u64(42);
  sabot::base::ByteReader in(std::string_view(payload).substr(1));
  const pgoutput::StreamAbortMessage m = pgoutput::read_stream_abort(in, v4);
  EXPECT_EQ(m.subxid, 901u);
  EXPECT_EQ(m.abort_lsn, Lsn(0x1234));
  EXPECT_EQ(m.abort_time, 42);

  std::string plain = stream_abort_msg(900, 901);
  sabot::base::ByteReader in2(std::string_view(plain).substr(1));
  EXPECT_FALSE(pgoutput::read_stream_abort(in2, v4).abort_lsn.has_value());

  // Version 3 does not have the fields: extra bytes are an error.
  sabot::base::ByteReader in3(std::string_view(payload).substr(1));
  const pgoutput::ReadContext v3{3, false};
  EXPECT_TRUE(sabot::test::throws_cdc_error([&] { pgoutput::read_stream_abort(in3, v3); },
                                            ErrorKind::Protocol,
                                            "Stream Abort has 16 unexpected trailing bytes"));
}

// ---- spilling -----------------------------------------------------------------------------------

TEST(PgoutputSpill, StreamedTransactionSpillsAndReplaysInOrder) {
  const TempDir scratch("pgoutput-spill");
  const std::string& dir = scratch.path();
  {
    PgoutputDecoder decoder(opts(2, dir, 2048));
    RecordingHandler rec;
    uint64_t lsn = 0x1000;
    auto feed = [&](const std::string& m) { decoder.decode(m, Lsn(lsn++), rec); };
    feed(orders_relation());
    feed(stream_start_msg(900, true));
    for (int i = 0; i < 200; ++i) {
      // Every 10th row in a subtransaction: 901 until it aborts, 902 after.
      const uint32_t xid = (i % 10 == 5) ? (i <= 100 ? 901 : 902) : 900;
      feed(insert_msg(kOrders, {txt(std::to_string(i)), txt(std::string(40, 'x')), kNull}, xid));
      if (i == 100) {
        feed(stream_stop_msg());
        EXPECT_EQ(entry_count(dir), 1u);  // spilled by now
        EXPECT_GT(decoder.held_transactions().bytes_spilled(), 0u);
        EXPECT_LE(decoder.held_transactions().bytes_buffered(), 2048u + 1024u);
        feed(stream_abort_msg(900, 901));  // drops spilled and in-memory rows of 901
        feed(stream_start_msg(900, false));
      }
    }
    feed(update_msg(kOrders, 'K', {txt("7"), kNull, kNull}, {txt("7"), kToast, txt("1.5")}, 900));
    feed(stream_stop_msg());
    feed(stream_commit_msg(900, 0x9000, 0x9030, kPgTs));

    // Rows 5, 15, ..., 95 were in subtransaction 901, partly spilled and partly in memory when it
    // aborted; rows of 902 survive, spilled or not.
    std::vector<int> expected;
    for (int i = 0; i < 200; ++i) {
      if (i % 10 == 5 && i <= 100) continue;
      expected.push_back(i);
    }
    ASSERT_EQ(rec.changes.size(), expected.size() + 1);
    for (size_t k = 0; k < expected.size(); ++k) {
      ASSERT_EQ(rec.changes[k].column("id")->value.text(), std::to_string(expected[k])) << k;
      EXPECT_EQ(rec.changes[k].column("note")->value.text(), std::string(40, 'x'));
      EXPECT_TRUE(rec.changes[k].column("amount")->value.is_null());
      EXPECT_EQ(rec.changes[k].column("amount")->type_name, "numeric(10,2)");
    }
    const ChangeEvent& u = rec.changes.back();
    EXPECT_EQ(u.op, Op::Update);
    EXPECT_TRUE(u.column("note")->unchanged_toast);
    ASSERT_TRUE(u.old.has_value());
    EXPECT_EQ(u.old_column("id")->value.text(), "7");
    EXPECT_EQ(entry_count(dir), 0u);  // removed after commit
    EXPECT_EQ(decoder.held_transactions().bytes_spilled(), 0u);
  }
}

TEST(PgoutputSpill, StaleSpillFilesAreRemovedOnStartupAndFilesOnAbort) {
  const TempDir scratch("pgoutput-stale");
  const std::string& dir = scratch.path();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/sabot-pgoutput-123.spill") << "left over";  // the name before 0.2
  std::ofstream(dir + "/sabot-held-124.spill") << "left over";
  std::ofstream(dir + "/keep.txt") << "not ours";
  PgoutputDecoder decoder(opts(3, dir, 100));
  EXPECT_FALSE(std::filesystem::exists(dir + "/sabot-pgoutput-123.spill"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/sabot-held-124.spill"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/keep.txt"));

  RecordingHandler rec;
  decoder.decode(orders_relation(), Lsn(1), rec);
  decoder.decode(stream_start_msg(900, true), Lsn(2), rec);
  for (int i = 0; i < 5; ++i) {
    decoder.decode(insert_msg(kOrders, {txt("1"), kNull, kNull}, 900), Lsn(3), rec);
  }
  decoder.decode(stream_stop_msg(), Lsn(4), rec);
  EXPECT_EQ(entry_count(dir), 2u);
  decoder.decode(stream_abort_msg(900, 900), Lsn(5), rec);
  EXPECT_EQ(entry_count(dir), 1u);
}

TEST(PgoutputStore, AppendAbortReplayAndAccounting) {
  spill::HeldEventStore store("test store");
  auto event = [](std::string_view table) {
    ChangeEvent e;
    e.table = table;
    e.columns.push_back(Column{"c", 25, "text", Value::text(std::string(100, 'v')), false});
    return e;
  };
  EXPECT_FALSE(store.contains(1));
  store.open(1);
  EXPECT_TRUE(store.contains(1));
  EXPECT_EQ(store.bytes_buffered(), 0u);
  store.append(1, 1, event("a"));
  const size_t one = store.bytes_buffered();
  EXPECT_GT(one, 100u);
  store.append(1, 2, event("b"));
  store.append(1, 3, event("c"));
  store.append(4, 4, event("d"));  // same size as the others: names count too
  EXPECT_EQ(store.bytes_buffered(), 4 * one);
  store.abort_subxact(1, 2);
  EXPECT_EQ(store.bytes_buffered(), 3 * one);
  store.abort_subxact(77, 2);  // unknown xid: nothing
  std::vector<ChangeEvent> got = store.take(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].table, "a");
  EXPECT_EQ(got[1].table, "c");
  EXPECT_FALSE(store.contains(1));
  EXPECT_EQ(store.bytes_buffered(), one);
  store.abort_all(4);
  EXPECT_EQ(store.bytes_buffered(), 0u);
  EXPECT_EQ(store.transaction_count(), 0u);
}

TEST(PgoutputStore, SpillRoundTripKeepsEveryField) {
  const TempDir scratch("pgoutput-roundtrip");
  const std::string& dir = scratch.path();
  {
    spill::HeldEventStore store("test store", dir, 1);  // spill on every append
    ChangeEvent e;
    e.op = Op::Update;
    e.schema = "s";
    static const std::string kLongTable(300, 't');
    static const std::vector<std::string> kKeys = {"a", "z"};
    e.table = kLongTable;
    e.columns.push_back(Column{"a", 23, "integer", Value::text("1"), false});
    e.columns.push_back(Column{"b", 25, "text", Value::null(), true});
    e.columns.push_back(Column{"c", 25, "text", Value::null(), false});
    e.columns.push_back(Column{"d", 17, "bytea", Value::text(std::string("\0\xff", 2)), false});
    e.old = std::vector<Column>{Column{"a", 23, "integer", Value::text(""), false}};
    e.key_columns = kKeys;
    e.lsn = Lsn(0x123456789ull);
    e.transaction_id = 77;
    e.commit_time = kUnixTs;
    e.commit_lsn = Lsn(0x987654321ull);
    e.seq = 5;
    e.message_prefix = "p";
    e.message_content = std::string("c\0c", 3);
    e.message_transactional = true;
    e.truncate_cascade = true;
    e.truncate_restart_identity = false;
    e.ddl = "ALTER TABLE";
    ChangeEvent copy = e;
    store.append(9, 9, std::move(copy));
    EXPECT_EQ(store.bytes_buffered(), 0u);
    EXPECT_GT(store.bytes_spilled(), 0u);
    ChangeEvent no_old;
    no_old.op = Op::Truncate;
    store.append(9, 10, ChangeEvent(no_old));
    std::vector<ChangeEvent> got = store.take(9);
    ASSERT_EQ(got.size(), 2u);
    const ChangeEvent& g = got[0];
    EXPECT_EQ(g.op, e.op);
    EXPECT_EQ(g.schema, e.schema);
    EXPECT_EQ(g.table, e.table);
    ASSERT_EQ(g.columns.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(g.columns[i].name, e.columns[i].name);
      EXPECT_EQ(g.columns[i].type_oid, e.columns[i].type_oid);
      EXPECT_EQ(g.columns[i].type_name, e.columns[i].type_name);
      EXPECT_EQ(g.columns[i].value, e.columns[i].value);
      EXPECT_EQ(g.columns[i].unchanged_toast, e.columns[i].unchanged_toast);
    }
    ASSERT_TRUE(g.old.has_value());
    EXPECT_EQ((*g.old)[0].value, Value::text(""));
    EXPECT_EQ(g.key_columns, e.key_columns);
    EXPECT_EQ(g.lsn, e.lsn);
    EXPECT_EQ(g.transaction_id, e.transaction_id);
    EXPECT_EQ(g.commit_time, e.commit_time);
    EXPECT_EQ(g.commit_lsn, e.commit_lsn);
    EXPECT_EQ(g.seq, e.seq);
    EXPECT_EQ(g.message_prefix, e.message_prefix);
    EXPECT_EQ(g.message_content, e.message_content);
    EXPECT_TRUE(g.message_transactional);
    EXPECT_TRUE(g.truncate_cascade);
    EXPECT_FALSE(g.truncate_restart_identity);
    EXPECT_EQ(g.ddl, e.ddl);
    EXPECT_EQ(got[1].op, Op::Truncate);
    EXPECT_FALSE(got[1].old.has_value());
    EXPECT_EQ(entry_count(dir), 0u);
  }
}

// A local disk problem, not a setting: LocalIo, naming who spilled and where.
TEST(PgoutputStore, UnwritableSpillDirIsALocalIoErrorNamingTheOwner) {
  try {
    spill::HeldEventStore store("test store", "/proc/sabot-cannot-create-this", 1);
    ADD_FAILURE() << "no error";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::LocalIo);
    EXPECT_NE(std::string(e.what()).find("test store spill: cannot create directory "
                                         "/proc/sabot-cannot-create-this"),
              std::string::npos)
        << e.what();
  }
}

// ---- two-phase commit ---------------------------------------------------------------------------

TEST_F(PgoutputDecodeTest, PreparedTransactionIsDeliveredAtCommitPrepared) {
  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  feed(orders_relation());
  feed_at(insert_msg(kOrders, {txt("1"), txt("p"), kNull}), 0x3F0);
  feed(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1"));
  EXPECT_EQ(rec_.sequence(), "");
  EXPECT_FALSE(decoder_.in_transaction());
  // Other traffic while prepared.
  feed(begin_msg(0x500, kPgTs, 801));
  feed(commit_msg(0x500, 0x530, kPgTs));
  feed(commit_prepared_msg(0x600, 0x630, kPgTs + 5, 800, "g1"));
  ASSERT_EQ(rec_.sequence(), "B C B I C");
  EXPECT_EQ(rec_.begins[1].xid, 800u);
  EXPECT_EQ(rec_.begins[1].commit_lsn, Lsn(0x600));
  EXPECT_EQ(rec_.commits[1].end_lsn, Lsn(0x630));
  EXPECT_EQ(rec_.commits[1].commit_time, kUnixTs + std::chrono::microseconds(5));
  EXPECT_EQ(rec_.changes[0].lsn, Lsn(0x3F0));
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 0u);
}

TEST_F(PgoutputDecodeTest, RollbackPreparedDropsTheTransaction) {
  feed(orders_relation());
  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g2"));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}));
  feed(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g2"));
  feed(rollback_prepared_msg(0x430, 0x460, kPgTs, kPgTs, 800, "g2"));
  EXPECT_EQ(rec_.sequence(), "");
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 0u);
  // A rollback of a transaction prepared before this session is fine: nothing to drop.
  feed(rollback_prepared_msg(0x430, 0x460, kPgTs, kPgTs, 700, "old"));
  EXPECT_EQ(rec_.sequence(), "");
}

TEST_F(PgoutputDecodeTest, StreamPrepareThenCommitPrepared) {
  feed(orders_relation());
  feed(stream_start_msg(820, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, 820));
  feed(insert_msg(kOrders, {txt("2"), kNull, kNull}, 821));
  feed(stream_stop_msg());
  feed(stream_abort_msg(820, 821));
  feed(prepare_msg('p', 0x700, 0x730, kPgTs, 820, "g3"));
  expect_error(stream_commit_msg(820, 1, 2, 3), "xid 820 has no streamed transaction to commit");
  // The error reset the decoder; run it again.
  rec_.clear();
  feed(orders_relation());
  feed(stream_start_msg(820, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, 820));
  feed(stream_stop_msg());
  feed(prepare_msg('p', 0x700, 0x730, kPgTs, 820, "g3"));
  feed(commit_prepared_msg(0x800, 0x830, kPgTs, 820, "g3"));
  ASSERT_EQ(rec_.sequence(), "B I C");
  EXPECT_EQ(rec_.begins[0].xid, 820u);
}

TEST_F(PgoutputDecodeTest, TwoPhaseErrors) {
  expect_error(commit_prepared_msg(1, 2, 3, 800, "g"), "was not prepared in this session");
  expect_error(prepare_msg('P', 1, 2, 3, 800, "g"), "Prepare without Begin Prepare");
  expect_error(prepare_msg('p', 1, 2, 3, 800, "g"), "no streamed transaction to prepare");

  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  expect_error(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "other"), "does not match Begin Prepare");

  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  expect_error(commit_msg(1, 2, 3), "Commit without Begin");

  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  feed(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1"));
  expect_error(commit_prepared_msg(1, 2, 3, 800, "g9"),
               "gid 'g9' differs from the prepared gid 'g1'");

  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  feed(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1"));
  expect_error(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"), "xid 800 is already held");

  feed(begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1"));
  feed(prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1"));
  expect_error(stream_start_msg(800, true), "xid 800 is already prepared");

  expect_error(Msg('P').u8(1).u64(1).u64(2).u64(3).u32(800).str("g"), "prepare flags is 1");
}

// ---- errors -------------------------------------------------------------------------------------

TEST_F(PgoutputDecodeTest, EmptyAndUnknownMessages) {
  expect_error("", "empty message");
  expect_error("z", "unknown message type");
  expect_error("z", "'z'");
  expect_error(std::string(1, '\x01'), "0x01");
}

TEST_F(PgoutputDecodeTest, ChangesOutsideATransaction) {
  feed(orders_relation());
  expect_error(insert_msg(kOrders, {txt("1"), kNull, kNull}), "Insert outside a transaction");
  feed(orders_relation());
  expect_error(update_msg(kOrders, 0, {}, {txt("1"), kNull, kNull}), "Update outside");
  feed(orders_relation());
  expect_error(delete_msg(kOrders, 'K', {txt("1"), kNull, kNull}), "Delete outside");
  feed(orders_relation());
  expect_error(truncate_msg({kOrders}, 0), "Truncate outside");
  expect_error(message_msg(true, 1, "p", "c"), "transactional Message outside");
  expect_error(origin_msg(1, "o"), "Origin outside");
}

TEST_F(PgoutputDecodeTest, TransactionOrderErrors) {
  expect_error(commit_msg(0x200, 0x230, kPgTs), "Commit without Begin");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(begin_msg(0x300, kPgTs, 6), "Begin inside a transaction");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(commit_msg(0x250, 0x280, kPgTs), "differs from the final LSN 0/200");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(stream_start_msg(5, true), "Stream Start inside a transaction");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(commit_prepared_msg(1, 2, 3, 5, "g"), "Commit Prepared inside a transaction");
}

TEST_F(PgoutputDecodeTest, UnknownRelationIsAnError) {
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(insert_msg(4242, {txt("1")}), "relation OID 4242 has had no Relation message");
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(truncate_msg({kOrders, 4242}, 0), "relation OID 4242");
  EXPECT_EQ(rec_.sequence(), "B B");  // no partial truncate was delivered
}

TEST_F(PgoutputDecodeTest, TupleErrors) {
  auto in_tx = [&] {
    feed(orders_relation());
    feed(items_relation());
    feed(begin_msg(0x200, kPgTs, 5));
  };
  in_tx();
  expect_error(insert_msg(kOrders, {txt("1"), kNull}),
               "new tuple has 2 columns but relation public.orders (OID 16384) has 3");
  in_tx();
  expect_error(update_msg(kOrders, 'O', {txt("1")}, {txt("1"), kNull, kNull}),
               "old tuple has 1 columns");
  in_tx();
  expect_error(insert_msg(kOrders, {txt("1"), {'x', ""}, kNull}), "unknown kind 0x78");
  in_tx();
  expect_error(insert_msg(kOrders, {txt("1"), {'b', "\x01"}, kNull}), "binary format");
  in_tx();
  expect_error(Msg('I').u32(kOrders).u8('N').u16(3).u8('t').u32(0xFFFFFFFF),
               "value length -1 is negative");
  in_tx();
  expect_error(Msg('I').u32(kOrders).u8('N').u16(3).u8('t').u32(100).raw("abc"),
               "truncated tuple column value");
  in_tx();
  expect_error(Msg('I').u32(kOrders).u8('X'), "new tuple marker is 0x58");
  in_tx();
  expect_error(Msg('U').u32(kOrders).u8('Q'), "tuple marker 0x51 is not 'K', 'O' or 'N'");
  in_tx();
  expect_error(Msg('D').u32(kOrders).u8('N'), "old tuple marker 0x4e is not 'K' or 'O'");
  in_tx();
  expect_error(Msg('I').u32(kOrders).u8('N').u16(60000), "tuple column count 60000 exceeds");
  in_tx();
  expect_error(Msg('I').u32(0).u8('N').u16(0), "relation OID is 0");
  in_tx();
  // A 'K' old tuple for a relation without key columns cannot be mapped.
  feed(relation_msg(77, "public", "nokey", 'n', {{0, "a", 23, -1}}));
  expect_error(delete_msg(77, 'K', {txt("1")}), "marks no key column");
}

TEST_F(PgoutputDecodeTest, FieldValidationErrors) {
  expect_error(commit_msg(1, 2, 3, 7), "commit flags is 7");
  expect_error(Msg('B').u64(1).u64(2).u32(0), "xid is 0");
  expect_error(Msg('B').u64(1).u64(INT64_MAX).u32(5),
               "commit timestamp 9223372036854775807 is out of range");
  expect_error(Msg('R').u32(1).str("public").str("t").u8('x').u16(0), "replica identity 0x78");
  expect_error(Msg('R').u32(1).str("public").str("").u8('d').u16(0), "relation name is empty");
  expect_error(
      Msg('R').u32(1).str("public").str("t").u8('d').u16(1).u8(2).str("a").u32(23).u32(0xFFFFFFFF),
      "flags 0x02 has undefined bits");
  expect_error(Msg('R').u32(1).str("public").str("t").u8('d').u16(1000),
               "relation column count 1000 exceeds");
  expect_error(Msg('R').u32(1).str("public").str("t").u8('d').u16(1).u8(0).str("a").u32(0).u32(0),
               "type OID is 0");
  expect_error(Msg('Y').u32(1).str("public").str(""), "type name is empty");
  expect_error(Msg('M').u8(2).u64(1).str("p").u32(0), "message flags 0x02");
  expect_error(Msg('M').u8(0).u64(1).str("p").u32(0x80000000),
               "content length -2147483648 is negative");
  expect_error(Msg('M').u8(0).u64(1).raw("p"), "message prefix");
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(Msg('T').u32(0).u8(0), "relation count is 0");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(Msg('T').u32(1).u8(4).u32(kOrders), "truncate options 0x04");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(Msg('T').u32(0x40000000).u8(0).u32(kOrders), "relation count 1073741824 exceeds");
  feed(begin_msg(0x200, kPgTs, 5));
  expect_error(Msg('O').u64(1).str(""), "origin name is empty");
}

// Every proper prefix of every valid message is an error naming the LSN, never a crash or a
// silently accepted message; so is every valid message with a byte appended.
TEST(PgoutputErrors, EveryTruncationAndTrailingByteIsAProtocolError) {
  struct Case {
    std::vector<std::string> prelude;
    std::string message;
  };
  const std::string rel = orders_relation();
  const std::string rel_s = orders_relation(900);
  const std::string begin = begin_msg(0x200, kPgTs, 5);
  const std::string start = stream_start_msg(900, true);
  const std::string stop = stream_stop_msg();
  const std::string bprep = begin_prepare_msg(0x400, 0x430, kPgTs, 800, "g1");
  const std::string prepared_ctx[] = {bprep, prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1")};
  const std::vector<Case> cases = {
      {{}, begin},
      {{begin}, commit_msg(0x200, 0x230, kPgTs)},
      {{begin}, origin_msg(1, "node")},
      {{}, rel},
      {{}, type_msg(16392, "public", "mood")},
      {{rel, begin}, insert_msg(kOrders, {txt("1"), kNull, kToast})},
      {{rel, begin}, update_msg(kOrders, 'K', {txt("1"), kNull, kNull}, {txt("2"), kNull, kNull})},
      {{rel, begin}, update_msg(kOrders, 0, {}, {txt("2"), kNull, kNull})},
      {{rel, begin}, delete_msg(kOrders, 'O', {txt("1"), txt("n"), txt("1")})},
      {{rel, begin}, truncate_msg({kOrders, kOrders}, 3)},
      {{begin}, message_msg(true, 1, "p", "content")},
      {{}, message_msg(false, 1, "p", "content")},
      {{}, start},
      {{start}, stop},
      {{start}, rel_s},
      {{start}, type_msg(16392, "public", "mood", 900)},
      {{rel, start}, insert_msg(kOrders, {txt("1"), kNull, kNull}, 901)},
      {{rel, start},
       update_msg(kOrders, 'O', {txt("1"), kNull, kNull}, {txt("1"), kNull, kNull}, 901)},
      {{rel, start}, delete_msg(kOrders, 'K', {txt("1"), kNull, kNull}, 901)},
      {{rel, start}, truncate_msg({kOrders}, 1, 901)},
      {{start}, message_msg(true, 1, "p", "c", 901)},
      {{start, stop}, stream_commit_msg(900, 0x800, 0x830, kPgTs)},
      {{start, stop}, stream_abort_msg(900, 901)},
      {{}, bprep},
      {{bprep}, prepare_msg('P', 0x400, 0x430, kPgTs, 800, "g1")},
      {{prepared_ctx[0], prepared_ctx[1]}, commit_prepared_msg(0x500, 0x530, kPgTs, 800, "g1")},
      {{prepared_ctx[0], prepared_ctx[1]},
       rollback_prepared_msg(0x430, 0x460, kPgTs, kPgTs, 800, "g1")},
      {{start, stop}, prepare_msg('p', 0x700, 0x730, kPgTs, 900, "g3")},
  };
  size_t checked = 0;
  for (const Case& c : cases) {
    auto run = [&](const std::string& payload, bool expect_ok) {
      PgoutputDecoder decoder(opts(3));
      RecordingHandler rec;
      for (const std::string& p : c.prelude) decoder.decode(p, Lsn(1), rec);
      const Lsn at(0x5A000000ull + payload.size());
      try {
        decoder.decode(payload, at, rec);
        EXPECT_TRUE(expect_ok) << "accepted a bad '" << c.message[0] << "' of " << payload.size()
                               << " bytes";
      } catch (const CdcError& e) {
        EXPECT_FALSE(expect_ok) << e.what();
        EXPECT_EQ(e.kind(), ErrorKind::Protocol);
        EXPECT_NE(std::string(e.what()).find(at.to_string()), std::string::npos) << e.what();
        EXPECT_FALSE(decoder.in_transaction());  // reset
      }
      ++checked;
    };
    run(c.message, true);
    for (size_t len = 0; len < c.message.size(); ++len) run(c.message.substr(0, len), false);
    run(c.message + '\0', false);
  }
  EXPECT_GT(checked, 500u);
}

TEST_F(PgoutputDecodeTest, DecoderIsUsableAfterAnError) {
  feed(orders_relation());
  feed(begin_msg(0x200, kPgTs, 5));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}));
  expect_error(insert_msg(kOrders, {txt("1")}), "columns");
  EXPECT_FALSE(decoder_.in_transaction());
  EXPECT_EQ(decoder_.relations().size(), 0u);  // a new stream resends Relation messages
  rec_.clear();
  feed(begin_msg(0x300, kPgTs, 6));
  feed(orders_relation());
  feed(insert_msg(kOrders, {txt("2"), kNull, kNull}));
  feed(commit_msg(0x300, 0x330, kPgTs));
  EXPECT_EQ(rec_.sequence(), "B I C");
}

TEST_F(PgoutputDecodeTest, ResetForgetsHeldTransactions) {
  feed(orders_relation());
  feed(stream_start_msg(900, true));
  feed(insert_msg(kOrders, {txt("1"), kNull, kNull}, 900));
  decoder_.reset();
  EXPECT_EQ(decoder_.held_transactions().transaction_count(), 0u);
  EXPECT_FALSE(decoder_.in_transaction());
  feed(orders_relation());
  feed(stream_start_msg(900, true));  // the server restarts the transaction from its start
  feed(stream_stop_msg());
}

// A handler that fails: the exception reaches the caller unchanged and the decoder resets.
TEST_F(PgoutputDecodeTest, HandlerExceptionsPropagateAndReset) {
  struct Failing : RecordingHandler {
    void on_change(ChangeEvent&&) override { throw CdcError(ErrorKind::Consumer, "sink is down"); }
  } failing;
  decoder_.decode(orders_relation(), Lsn(1), failing);
  decoder_.decode(begin_msg(0x200, kPgTs, 5), Lsn(2), failing);
  try {
    decoder_.decode(insert_msg(kOrders, {txt("1"), kNull, kNull}), Lsn(3), failing);
    ADD_FAILURE();
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Consumer);
    EXPECT_STREQ(e.what(), "sink is down");
  }
  EXPECT_FALSE(decoder_.in_transaction());
}

}  // namespace
