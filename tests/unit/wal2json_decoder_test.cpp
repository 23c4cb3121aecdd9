// Unit tests of the wal2json decoder (formats 1 and 2), its plugin options and add-tables escaping,
// and of parse_pg_timestamptz. The JSON below follows what wal2json 2.5 wrote on PostgreSQL 15
// for the same statements (see tests/golden/wal2json for whole captured sessions).
#include "decode/wal2json/wal2json_decoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cdc_error_checks.hpp"
#include "decode/pg_text.hpp"
#include "decode/wal2json/wal2json_options.hpp"
#include "recording_handler.hpp"
#include "sabot/error.hpp"

namespace {

using sabot::CdcError;
using sabot::ErrorKind;
using sabot::Lsn;
using sabot::Op;
using sabot::Timestamp;
using sabot::decode::parse_pg_timestamptz;
using sabot::decode::wal2json_add_tables_value;
using sabot::decode::wal2json_plugin_options;
using sabot::decode::Wal2jsonDecoder;
using sabot::testing::RecordingHandler;
using namespace std::chrono;

constexpr Lsn kAt{0x1543378};        // wal_start of the happy-path payloads
constexpr Lsn kBadAt{0x16B374D848};  // wal_start of the payloads that must fail
constexpr std::string_view kBadAtText = "16/B374D848";

std::string iso(std::optional<Timestamp> ts) {
  return ts ? sabot::format_iso8601(*ts) : std::string("nullopt");
}

// Decodes `payloads` in order into `rec`.
void feed(Wal2jsonDecoder& decoder, RecordingHandler& rec,
          std::initializer_list<std::string_view> payloads, Lsn at = kAt) {
  for (std::string_view p : payloads) decoder.decode(p, at, rec);
}

// The payload must fail with a Protocol error naming kBadAtText and containing `fragment` (not
// empty: an empty fragment is found in any message).
void expect_protocol_error(Wal2jsonDecoder& decoder, std::string_view payload,
                           std::string_view fragment) {
  RecordingHandler rec;
  try {
    decoder.decode(payload, kBadAt, rec);
    ADD_FAILURE() << "no error for: " << payload;
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Protocol) << e.what();
    const std::string message = e.what();
    EXPECT_NE(message.find(kBadAtText), std::string::npos) << message;
    EXPECT_EQ(e.lsn(), std::optional<Lsn>(kBadAt)) << message;  // the position as a field too
    EXPECT_FALSE(fragment.empty())
        << "an empty fragment is in every message; this one: " << message;
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "expected '" << fragment << "' in: " << message;
  }
  // A bad document never produces part of its events.
  EXPECT_TRUE(rec.calls.empty()) << rec.transcript();
  EXPECT_FALSE(decoder.in_transaction());
}

// ---------------------------------------------------------------------------------------------
// Format 2 documents (compact, as wal2json writes them)

constexpr std::string_view kB731 =
    R"({"action":"B","xid":731,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1543348","nextlsn":"0/1543378"})";
constexpr std::string_view kC731 =
    R"({"action":"C","xid":731,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1543348","nextlsn":"0/1543378"})";

std::string insert_v2(
    std::string_view columns,
    std::string_view extra = R"(,"pk":[{"name":"id","type":"integer","typeoid":23}])") {
  return std::string(
             R"({"action":"I","xid":731,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1542F00","schema":"public","table":"t","columns":[)") +
         std::string(columns) + "]" + std::string(extra) + "}";
}

// One column object with the given JSON value.
std::string col(std::string_view name, std::string_view type, int oid,
                std::string_view json_value) {
  return std::string(R"({"name":")") + std::string(name) + R"(","type":")" + std::string(type) +
         R"(","typeoid":)" + std::to_string(oid) + R"(,"value":)" + std::string(json_value) + "}";
}

// Decodes B, one insert with a single column holding `json_value`, C; returns that column.
sabot::Column decode_one_value(std::string_view type, int oid, std::string_view json_value) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  const std::string insert = insert_v2(col("c", type, oid, json_value), "");
  feed(decoder, rec, {kB731, insert, kC731});
  EXPECT_EQ(rec.sequence(), "B I C");
  if (rec.changes.size() != 1 || rec.changes[0].columns.size() != 1) return {};
  // The column views its event's storage: keep the event (a copy shares it) for the test's run.
  static std::vector<sabot::ChangeEvent> kept_events;
  kept_events.push_back(rec.changes[0]);
  return rec.changes[0].columns[0];
}

// ---------------------------------------------------------------------------------------------
// parse_pg_timestamptz

TEST(PgTextTimestamp, ParsesUtcWithMicroseconds) {
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 01:29:12.672064+00")),
            "2026-11-26T01:29:12.672064Z");
  EXPECT_EQ(parse_pg_timestamptz("1970-01-01 00:00:00+00")->time_since_epoch().count(), 0);
  EXPECT_EQ(parse_pg_timestamptz("1969-12-31 23:59:59.999999+00")->time_since_epoch().count(), -1);
}

TEST(PgTextTimestamp, AppliesOffsets) {
  // Captured with TimeZone 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham',
  // 'America/Los_Angeles'.
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 07:05:08.333293+05:30")),
            "2026-11-26T01:35:08.333293Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-25 22:05:08.333293-03:30")),
            "2026-11-26T01:35:08.333293Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 15:20:08.333293+13:45")),
            "2026-11-26T01:35:08.333293Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-25 17:35:08.333293-08")),
            "2026-11-26T01:35:08.333293Z");
  // Offsets with seconds (local mean time zones before 1900).
  EXPECT_EQ(iso(parse_pg_timestamptz("1883-11-18 12:00:00+05:30:15")),
            "1883-11-18T06:29:45.000000Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("1883-11-18 12:00:00-04:56:02")),
            "1883-11-18T16:56:02.000000Z");
  // Crossing a day and a year boundary.
  EXPECT_EQ(iso(parse_pg_timestamptz("2027-01-01 00:30:00+01")), "2026-12-31T23:30:00.000000Z");
}

TEST(PgTextTimestamp, FractionHasZeroToSixDigits) {
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 01:29:12+00")), "2026-11-26T01:29:12.000000Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 01:29:12.5+00")), "2026-11-26T01:29:12.500000Z");
  EXPECT_EQ(iso(parse_pg_timestamptz("2026-11-26 01:29:12.000001+00")),
            "2026-11-26T01:29:12.000001Z");
  EXPECT_FALSE(parse_pg_timestamptz("2026-11-26 01:29:12.1234567+00"));
  EXPECT_FALSE(parse_pg_timestamptz("2026-11-26 01:29:12.+00"));
}

TEST(PgTextTimestamp, BcAndLongYears) {
  const auto bc = parse_pg_timestamptz("0044-03-15 12:00:00+00 BC");
  ASSERT_TRUE(bc);
  // 44 BC is astronomical year -43.
  EXPECT_EQ(*bc, sys_days{year{-43} / 3 / 15} + hours{12});
  EXPECT_EQ(*parse_pg_timestamptz("0001-01-01 00:00:00+00 BC"), sys_days{year{0} / 1 / 1});
  EXPECT_EQ(*parse_pg_timestamptz("10000-01-01 00:00:00+00"), sys_days{year{10000} / 1 / 1});
  EXPECT_FALSE(parse_pg_timestamptz("0000-01-01 00:00:00+00"));
  EXPECT_FALSE(parse_pg_timestamptz("0000-01-01 00:00:00+00 BC"));
}

TEST(PgTextTimestamp, RejectsEverythingElse) {
  for (std::string_view bad : {"",
                               "infinity",
                               "-infinity",
                               "2026-11-26",
                               "2026-11-26 01:29:12",  // no offset
                               "2026-11-26T01:29:12+00",
                               "2026-11-26 01:29:12Z",
                               "2026-11-26 01:29:12 +00",
                               "2026-11-26 01:29:12+00 ",
                               " 2026-11-26 01:29:12+00",
                               "2026-11-26 01:29:12+0",
                               "2026-11-26 01:29:12+00:0",
                               "2026-11-26 01:29:12+00:00:0",
                               "2026-11-26 01:29:12+16",
                               "2026-11-26 01:29:12+05:60",
                               "2026-11-26 01:29:12+05:30:60",
                               "2026-13-01 00:00:00+00",
                               "2026-00-01 00:00:00+00",
                               "2023-02-29 00:00:00+00",
                               "2026-04-31 00:00:00+00",
                               "2026-11-26 24:00:00+00",
                               "2026-11-26 23:60:00+00",
                               "2026-11-26 23:59:60+00",
                               "026-11-26 01:29:12+00",
                               "1234567-11-26 01:29:12+00",
                               "2026-1-26 01:29:12+00",
                               "2026-11-26 1:29:12+00",
                               "2026/11/26 01:29:12+00",
                               "2026-11-26 01:29:12+00 AD",
                               "Thu Nov 26 01:29:12.672064 2026 UTC",
                               "11/26/2026 01:29:12.672064 UTC"}) {
    EXPECT_FALSE(parse_pg_timestamptz(bad)) << "accepted: '" << bad << "'";
  }
  EXPECT_TRUE(parse_pg_timestamptz("2024-02-29 00:00:00+00"));
}

// ---------------------------------------------------------------------------------------------
// Format 2: every action

TEST(Wal2jsonV2, InsertTransaction) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  const std::string insert = insert_v2(
      col("id", "integer", 23, "1") + "," + col("name", "text", 25, R"("alice")") + "," +
      col("note", "text", 25, "null") + "," + col("empty", "character varying(20)", 1043, R"("")"));
  feed(decoder, rec, {kB731});
  EXPECT_TRUE(decoder.in_transaction());
  feed(decoder, rec, {insert, kC731});
  EXPECT_FALSE(decoder.in_transaction());
  ASSERT_EQ(rec.sequence(), "B I C");

  const auto& b = rec.begins[0];
  EXPECT_EQ(b.xid, 731u);
  EXPECT_EQ(b.commit_lsn.to_string(), "0/1543348");
  EXPECT_EQ(sabot::format_iso8601(b.commit_time), "2026-11-26T01:35:08.333293Z");
  const auto& c = rec.commits[0];
  EXPECT_EQ(c.xid, 731u);
  EXPECT_EQ(c.commit_lsn.to_string(), "0/1543348");
  EXPECT_EQ(c.end_lsn.to_string(), "0/1543378");
  EXPECT_EQ(c.commit_time, b.commit_time);

  const sabot::ChangeEvent& e = rec.changes[0];
  EXPECT_EQ(e.op, Op::Insert);
  EXPECT_EQ(e.schema, "public");
  EXPECT_EQ(e.table, "t");
  EXPECT_EQ(e.lsn.to_string(), "0/1542F00");
  EXPECT_FALSE(e.old.has_value());
  EXPECT_EQ(e.key_columns, std::vector<std::string>{"id"});
  ASSERT_EQ(e.columns.size(), 4u);
  EXPECT_EQ(e.columns[0].name, "id");
  EXPECT_EQ(e.columns[0].type_name, "integer");
  EXPECT_EQ(e.columns[0].type_oid, 23u);
  EXPECT_EQ(e.columns[0].value.text(), "1");
  EXPECT_EQ(e.columns[0].value.as_int64(), 1);
  EXPECT_EQ(e.column("name")->value.text(), "alice");
  // NULL and the empty string stay distinct.
  EXPECT_TRUE(e.column("note")->value.is_null());
  ASSERT_FALSE(e.column("empty")->value.is_null());
  EXPECT_EQ(e.column("empty")->value.text(), "");
  EXPECT_EQ(e.column("empty")->type_name, "character varying(20)");
  EXPECT_FALSE(e.columns[0].unchanged_toast);
}

TEST(Wal2jsonV2, EscapedAndPlainStringsInterleaved) {
  // Plain strings are read in place and escaped ones unescaped: which is which must be right for
  // every string, wherever the document's backslashes are (before, inside, after each one).
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  const std::string insert = insert_v2(
      col("a", "text", 25, R"("x\"y")") + "," + col("b", "text", 25, R"("plain")") + "," +
      col("c", "text", 25, R"("back\\slash")") + "," + col("d", "text", 25, R"("end")") + "," +
      col("e\\u0041", "text", 25, R"("\u00e9t\u00e9")"));
  feed(decoder, rec, {kB731, insert, kC731});
  ASSERT_EQ(rec.changes.size(), 1u);
  const std::vector<sabot::Column>& c = rec.changes[0].columns;
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].value.text(), "x\"y");
  EXPECT_EQ(c[1].value.text(), "plain");
  EXPECT_EQ(c[2].value.text(), "back\\slash");
  EXPECT_EQ(c[3].value.text(), "end");
  EXPECT_EQ(c[4].name, "eA");
  EXPECT_EQ(c[4].value.text(), "\u00e9t\u00e9");
  EXPECT_EQ(c[1].name, "b");
  EXPECT_EQ(rec.changes[0].table, "t");
}

TEST(Wal2jsonV2, UpdateWithIdentityAndWithout) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {kB731,
       R"j({"action":"U","xid":731,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1543630","schema":"public","table":"accounts","columns":[{"name":"id","type":"bigint","typeoid":20,"value":20},{"name":"balance","type":"numeric(12,2)","typeoid":1700,"value":0.10}],"identity":[{"name":"id","type":"bigint","typeoid":20,"value":11}],"pk":[{"name":"id","type":"bigint","typeoid":20}]})j",
       R"({"action":"U","xid":731,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1543700","schema":"public","table":"accounts","columns":[{"name":"id","type":"bigint","typeoid":20,"value":20}],"pk":[]})",
       kC731});
  ASSERT_EQ(rec.sequence(), "B U U C");
  const auto& moved = rec.changes[0];
  EXPECT_EQ(moved.op, Op::Update);
  EXPECT_EQ(moved.column("id")->value.text(), "20");
  EXPECT_EQ(moved.column("balance")->value.text(), "0.10");
  ASSERT_TRUE(moved.old.has_value());
  ASSERT_EQ(moved.old->size(), 1u);
  EXPECT_EQ(moved.old_column("id")->value.text(), "11");
  EXPECT_EQ(moved.old_column("id")->type_oid, 20u);
  const auto& plain = rec.changes[1];
  EXPECT_FALSE(plain.old.has_value());
  EXPECT_TRUE(plain.key_columns.empty());
  EXPECT_EQ(plain.lsn.to_string(), "0/1543700");
}

TEST(Wal2jsonV2, DeleteWithFullIdentityKeepsNulls) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"B","xid":739,"timestamp":"2026-11-26 07:05:08.337014+05:30","lsn":"0/1543C18","nextlsn":"0/1543C48"})",
       R"({"action":"D","xid":739,"timestamp":"2026-11-26 07:05:08.337014+05:30","lsn":"0/1543BD0","schema":"audit","table":"events","identity":[{"name":"id","type":"integer","typeoid":23,"value":2},{"name":"kind","type":"text","typeoid":25,"value":"logout"},{"name":"payload","type":"jsonb","typeoid":3802,"value":null},{"name":"at","type":"timestamp with time zone","typeoid":1184,"value":null}],"pk":[]})",
       R"({"action":"C","xid":739,"timestamp":"2026-11-26 07:05:08.337014+05:30","lsn":"0/1543C18","nextlsn":"0/1543C48"})"});
  ASSERT_EQ(rec.sequence(), "B D C");
  const auto& e = rec.changes[0];
  EXPECT_EQ(e.op, Op::Delete);
  EXPECT_EQ(e.schema, "audit");
  EXPECT_TRUE(e.columns.empty());
  ASSERT_TRUE(e.old.has_value());
  ASSERT_EQ(e.old->size(), 4u);
  EXPECT_EQ(e.old_column("kind")->value.text(), "logout");
  EXPECT_TRUE(e.old_column("payload")->value.is_null());
  EXPECT_TRUE(e.old_column("at")->value.is_null());
  EXPECT_EQ(rec.commits[0].end_lsn.to_string(), "0/1543C48");
}

TEST(Wal2jsonV2, TruncateOneEventPerTable) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"B","xid":742,"timestamp":"2026-11-26 07:05:08.341144+05:30","lsn":"0/1545E68","nextlsn":"0/15460C0"})",
       R"({"action":"T","xid":742,"timestamp":"2026-11-26 07:05:08.341144+05:30","lsn":"0/1545E38","schema":"public","table":"accounts"})",
       R"({"action":"T","xid":742,"timestamp":"2026-11-26 07:05:08.341144+05:30","lsn":"0/1545E38","schema":"audit","table":"events"})",
       R"({"action":"C","xid":742,"timestamp":"2026-11-26 07:05:08.341144+05:30","lsn":"0/1545E68","nextlsn":"0/15460C0"})"});
  ASSERT_EQ(rec.sequence(), "B T T C");
  EXPECT_EQ(rec.changes[0].table, "accounts");
  EXPECT_EQ(rec.changes[1].schema, "audit");
  EXPECT_EQ(rec.changes[1].table, "events");
  EXPECT_EQ(rec.changes[1].lsn.to_string(), "0/1545E38");
  EXPECT_TRUE(rec.changes[1].columns.empty());
  EXPECT_FALSE(rec.changes[1].old.has_value());
  EXPECT_FALSE(rec.changes[1].truncate_cascade);
}

TEST(Wal2jsonV2, TransactionalMessage) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"B","xid":740,"timestamp":"2026-11-26 07:05:08.337637+05:30","lsn":"0/1543D60","nextlsn":"0/1543D90"})",
       R"({"action":"M","xid":740,"timestamp":"2026-11-26 07:05:08.337637+05:30","lsn":"0/1543CD0","transactional":true,"prefix":"app","content":"tx-msg é"})",
       R"({"action":"C","xid":740,"timestamp":"2026-11-26 07:05:08.337637+05:30","lsn":"0/1543D60","nextlsn":"0/1543D90"})"});
  ASSERT_EQ(rec.sequence(), "B M C");
  const auto& m = rec.changes[0];
  EXPECT_EQ(m.op, Op::Message);
  EXPECT_TRUE(m.message_transactional);
  EXPECT_EQ(m.message_prefix, "app");
  EXPECT_EQ(m.message_content, "tx-msg é");
  EXPECT_EQ(m.lsn.to_string(), "0/1543CD0");
  EXPECT_TRUE(m.schema.empty());
}

TEST(Wal2jsonV2, NonTransactionalMessage) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"M","xid":null,"timestamp":null,"lsn":"0/1543C90","transactional":false,"prefix":"heartbeat","content":"ping \"1\""})"});
  ASSERT_EQ(rec.sequence(), "N");
  const auto& m = rec.messages[0];
  EXPECT_EQ(m.op, Op::Message);
  EXPECT_FALSE(m.message_transactional);
  EXPECT_EQ(m.message_prefix, "heartbeat");
  EXPECT_EQ(m.message_content, "ping \"1\"");
  EXPECT_EQ(m.lsn.to_string(), "0/1543C90");
  EXPECT_EQ(m.transaction_id, 0u);
  EXPECT_FALSE(decoder.in_transaction());
}

TEST(Wal2jsonV2, EmptyContentAndPrefix) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"M","xid":null,"timestamp":null,"lsn":"0/1","transactional":false,"prefix":"","content":""})"});
  ASSERT_EQ(rec.sequence(), "N");
  EXPECT_EQ(rec.messages[0].message_prefix, "");
  EXPECT_EQ(rec.messages[0].message_content, "");
}

// ---------------------------------------------------------------------------------------------
// Format 2: values

TEST(Wal2jsonV2, NumericKeepsExactDigits) {
  EXPECT_EQ(
      decode_one_value("numeric", 1700, "123456789012345678901234567890.123456789").value.text(),
      "123456789012345678901234567890.123456789");
  EXPECT_EQ(decode_one_value("numeric(10,2)", 1700, "1.50").value.text(), "1.50");
  EXPECT_EQ(decode_one_value("numeric(12,2)", 1700, "100.00").value.text(), "100.00");
  EXPECT_EQ(decode_one_value("numeric", 1700, "-0.000000001").value.text(), "-0.000000001");
  EXPECT_EQ(decode_one_value("numeric", 1700, "0").value.text(), "0");
  EXPECT_EQ(decode_one_value("bigint", 20, "-9223372036854775808").value.text(),
            "-9223372036854775808");
  EXPECT_EQ(decode_one_value("bigint", 20, "9223372036854775807").value.as_int64(),
            9223372036854775807LL);
  // float8 output may use an exponent; the token is kept as PostgreSQL wrote it.
  EXPECT_EQ(decode_one_value("double precision", 701, "1e+20").value.text(), "1e+20");
  EXPECT_EQ(decode_one_value("real", 700, "1.5e-07").value.text(), "1.5e-07");
  EXPECT_EQ(decode_one_value("double precision", 701, "2.718281828459045").value.as_double(),
            2.718281828459045);
  // A number larger than any double is still just text.
  const std::string huge = "1" + std::string(400, '0') + ".5";
  EXPECT_EQ(decode_one_value("numeric", 1700, huge).value.text(), huge);
}

TEST(Wal2jsonV2, BooleansBecomePostgresText) {
  const auto t = decode_one_value("boolean", 16, "true");
  EXPECT_EQ(t.value.text(), "t");
  EXPECT_TRUE(t.value.as_bool());
  const auto f = decode_one_value("boolean", 16, "false");
  EXPECT_EQ(f.value.text(), "f");
  EXPECT_FALSE(f.value.as_bool());
}

TEST(Wal2jsonV2, FloatNaNAndInfinityArriveAsNull) {
  // wal2json writes NaN / Infinity / -Infinity of float4, float8 and numeric as JSON null:
  // a wal2json limitation, indistinguishable from SQL NULL.
  EXPECT_TRUE(decode_one_value("double precision", 701, "null").value.is_null());
  EXPECT_TRUE(decode_one_value("real", 700, "null").value.is_null());
  EXPECT_TRUE(decode_one_value("numeric", 1700, "null").value.is_null());
}

TEST(Wal2jsonV2, StringEscapesAndUnicode) {
  EXPECT_EQ(decode_one_value("text", 25,
                             R"("quote \" backslash \\ tab \t newline \n ctrl \u0001 emoji 😀")")
                .value.text(),
            "quote \" backslash \\ tab \t newline \n ctrl \x01 emoji \xF0\x9F\x98\x80");
  EXPECT_EQ(decode_one_value("text", 25, R"("caf\u00e9 \ud83d\ude00 \/ \b\f\r")").value.text(),
            "caf\xC3\xA9 \xF0\x9F\x98\x80 / \b\f\r");
  EXPECT_EQ(decode_one_value("character varying(20)", 1043, R"("café ☕")").value.text(),
            "caf\xC3\xA9 \xE2\x98\x95");
  EXPECT_EQ(decode_one_value("character(5)", 1042, R"("ab   ")").value.text(), "ab   ");
}

TEST(Wal2jsonV2, OtherTypesStayText) {
  EXPECT_EQ(decode_one_value("integer[]", 1007, R"("{1,NULL,3}")").value.text(), "{1,NULL,3}");
  EXPECT_EQ(
      decode_one_value("text[]", 1009, R"("{\"a b\",\"c,d\",NULL,\"q\\\"uote\"}")").value.text(),
      R"({"a b","c,d",NULL,"q\"uote"})");
  EXPECT_EQ(decode_one_value("jsonb", 3802, R"("{\"a\": \"é\", \"b\": 1}")").value.text(),
            R"({"a": "é", "b": 1})");
  EXPECT_EQ(decode_one_value("interval", 1186, R"("1 year 2 mons 3 days 04:05:06.7")").value.text(),
            "1 year 2 mons 3 days 04:05:06.7");
  EXPECT_EQ(decode_one_value("date", 1082, R"("0044-03-15 BC")").value.text(), "0044-03-15 BC");
  EXPECT_EQ(decode_one_value("timestamp without time zone", 1114, R"("infinity")").value.text(),
            "infinity");
  EXPECT_EQ(decode_one_value("timestamp with time zone", 1184, R"("2024-02-29 16:30:00.5+05:30")")
                .value.text(),
            "2024-02-29 16:30:00.5+05:30");
}

TEST(Wal2jsonV2, ByteaGetsItsHexPrefixBack) {
  const auto b = decode_one_value("bytea", 17, R"("00ff10")");
  EXPECT_EQ(b.value.text(), "\\x00ff10");
  EXPECT_EQ(b.value.as_bytes(), (std::vector<uint8_t>{0x00, 0xff, 0x10}));
  EXPECT_EQ(decode_one_value("bytea", 17, R"("")").value.text(), "\\x");
  EXPECT_TRUE(decode_one_value("bytea", 17, "null").value.is_null());
  // bytea[] and domains are not stripped by wal2json, so they are left alone.
  EXPECT_EQ(decode_one_value("bytea[]", 1001, R"("{\"\\\\x00\"}")").value.text(), R"({"\\x00"})");
}

TEST(Wal2jsonV2, ByteaWithoutTypeOidRecognisedByName) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(decoder, rec, {kB731, insert_v2(R"({"name":"b","type":"bytea","value":"0a"})", ""), kC731});
  ASSERT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.changes[0].columns[0].value.text(), "\\x0a");
  EXPECT_EQ(rec.changes[0].columns[0].type_oid, 0u);
}

TEST(Wal2jsonV2, ColumnTypeInfoIsOptional) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(decoder, rec, {kB731, insert_v2(R"({"name":"x","value":1})", ""), kC731});
  ASSERT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.changes[0].columns[0].type_oid, 0u);
  EXPECT_EQ(rec.changes[0].columns[0].type_name, "");
  EXPECT_EQ(rec.changes[0].columns[0].value.text(), "1");
}

TEST(Wal2jsonV2, KeyOrderDoesNotMatterAndUnknownKeysAreIgnored) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"nextlsn":"0/20","lsn":"0/10","origin":5,"timestamp":"2026-01-01 00:00:00+00","xid":9,"action":"B"})",
       R"({"columns":[{"value":"v","optional":true,"typeoid":25,"name":"c","type":"text"}],"table":"t","schema":"s","lsn":"0/8","xid":9,"action":"I","extra":{"nested":[1,2,{"x":null}]}})",
       R"( { "action" : "C" , "xid" : 9 , "lsn" : "0/10" , "nextlsn" : "0/20" } )"});
  ASSERT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.changes[0].column("c")->value.text(), "v");
  EXPECT_EQ(rec.changes[0].column("c")->type_oid, 25u);
  // C without a timestamp takes BEGIN's.
  EXPECT_EQ(sabot::format_iso8601(rec.commits[0].commit_time), "2026-01-01T00:00:00.000000Z");
}

TEST(Wal2jsonV2, CommitTimeComesFromCommit) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  feed(
      decoder, rec,
      {R"({"action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/10","nextlsn":"0/20"})",
       R"({"action":"C","xid":1,"timestamp":"2026-01-01 05:30:00+05:30","lsn":"0/10","nextlsn":"0/20"})"});
  ASSERT_EQ(rec.sequence(), "B C");
  EXPECT_EQ(rec.commits[0].commit_time, rec.begins[0].commit_time);
}

TEST(Wal2jsonV2, ManyTransactionsInARow) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  for (int i = 0; i < 3; ++i) {
    feed(decoder, rec, {kB731, insert_v2(col("id", "integer", 23, std::to_string(i))), kC731});
  }
  EXPECT_EQ(rec.sequence(), "B I C B I C B I C");
  EXPECT_EQ(rec.changes[2].columns[0].value.text(), "2");
}

// ---------------------------------------------------------------------------------------------
// Format 2: errors

TEST(Wal2jsonV2Errors, MalformedAndTruncatedJson) {
  Wal2jsonDecoder decoder(2);
  const std::string full(kB731);
  // Cut inside a string (at half the length) the document is no JSON at all; elsewhere it ends
  // early.
  const std::pair<size_t, std::string_view> cuts[] = {
      {1, "expected one complete JSON object"},
      {10, "expected one complete JSON object"},
      {full.size() / 2, "not a JSON document"},
      {full.size() - 1, "expected one complete JSON object"}};
  for (const auto& [cut, fragment] : cuts) {
    expect_protocol_error(decoder, std::string_view(full).substr(0, cut), fragment);
  }
  expect_protocol_error(decoder, "", "empty payload");
  expect_protocol_error(decoder, "{", "expected one complete JSON object");
  expect_protocol_error(decoder, "}", "expected one complete JSON object");
  expect_protocol_error(decoder, R"({"action":"B",})", "malformed JSON object");
  expect_protocol_error(decoder, R"({"action" "B"})", "malformed JSON object");
  expect_protocol_error(decoder, R"({"action":"B" "xid":1})", "malformed JSON object");
  expect_protocol_error(decoder, R"({'action':'B'})", "malformed JSON object");
  expect_protocol_error(decoder, "[]", "expected one complete JSON object");
  expect_protocol_error(decoder, R"("B")", "expected one complete JSON object");
  expect_protocol_error(decoder, "42", "expected one complete JSON object");
  expect_protocol_error(decoder, "null", "expected one complete JSON object");
  expect_protocol_error(decoder, std::string(kB731) + " x", "expected one complete JSON object");
  expect_protocol_error(decoder, std::string(kB731) + std::string(kB731),
                        "trailing bytes after the JSON object");
  expect_protocol_error(decoder, std::string(kB731) + "}", "trailing bytes after the JSON object");
}

TEST(Wal2jsonV2Errors, InvalidUtf8) {
  Wal2jsonDecoder decoder(2);
  // What wal2json writes for pg_logical_emit_message(false, 'bin3', '\xff41c3'::bytea).
  expect_protocol_error(
      decoder,
      "{\"action\":\"M\",\"xid\":null,\"timestamp\":null,\"lsn\":\"0/1\",\"transactional\":false,"
      "\"prefix\":\"bin3\",\"content\":\"\xff"
      "A\xc3\"}",
      "UTF-8");
}

TEST(Wal2jsonV2Errors, UnknownOrMissingAction) {
  Wal2jsonDecoder decoder(2);
  expect_protocol_error(decoder, R"({"action":"X","xid":1,"lsn":"0/1"})", "unknown action \"X\"");
  expect_protocol_error(decoder, R"({"action":"BB","xid":1,"lsn":"0/1"})", "unknown action");
  expect_protocol_error(decoder, R"({"action":"","xid":1,"lsn":"0/1"})", "unknown action");
  expect_protocol_error(decoder, R"({"action":66,"xid":1,"lsn":"0/1"})",
                        "\"action\" must be a string");
  expect_protocol_error(decoder, R"({"xid":1,"lsn":"0/1"})", "no \"action\"");
  expect_protocol_error(decoder, "{}", "no \"action\"");
}

TEST(Wal2jsonV2Errors, MissingRequiredFields) {
  Wal2jsonDecoder decoder(2);
  expect_protocol_error(decoder,
                        R"({"action":"B","timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
                        "lacks \"xid\"");
  expect_protocol_error(decoder, R"({"action":"B","xid":1,"lsn":"0/1"})", "lacks \"timestamp\"");
  expect_protocol_error(decoder, R"({"action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00"})",
                        "lacks \"lsn\"");
  // Changes are checked for shape before the transaction state.
  expect_protocol_error(decoder, R"({"action":"I","xid":1,"lsn":"0/1","schema":"s","table":"t"})",
                        "lacks \"columns\"");
  expect_protocol_error(decoder, R"({"action":"I","xid":1,"lsn":"0/1","table":"t","columns":[]})",
                        "lacks \"schema\"");
  expect_protocol_error(decoder, R"({"action":"I","xid":1,"schema":"s","table":"t","columns":[]})",
                        "lacks \"lsn\"");
  expect_protocol_error(decoder, R"({"action":"D","xid":1,"lsn":"0/1","schema":"s","table":"t"})",
                        "lacks \"identity\"");
  expect_protocol_error(decoder, R"({"action":"T","xid":1,"lsn":"0/1","schema":"s"})",
                        "lacks \"table\"");
  expect_protocol_error(decoder, R"({"action":"C","xid":1,"lsn":"0/1"})", "lacks \"nextlsn\"");
  expect_protocol_error(
      decoder, R"({"action":"M","xid":null,"lsn":"0/1","transactional":false,"prefix":"p"})",
      "lacks \"content\"");
  expect_protocol_error(decoder,
                        R"({"action":"M","xid":null,"lsn":"0/1","prefix":"p","content":"c"})",
                        "lacks \"transactional\"");
  expect_protocol_error(decoder, insert_v2(R"({"name":"a","type":"text","typeoid":25})", ""),
                        "has no \"value\"");
  expect_protocol_error(decoder, insert_v2(R"({"type":"text","typeoid":25,"value":"x"})", ""),
                        "has no \"name\"");
  expect_protocol_error(decoder, insert_v2(col("a", "text", 25, "1"), R"(,"pk":[{"type":"text"}])"),
                        "\"pk\" element without \"name\"");
}

TEST(Wal2jsonV2Errors, WrongTypes) {
  Wal2jsonDecoder decoder(2);
  expect_protocol_error(
      decoder, R"({"action":"B","xid":"1","timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "\"xid\" must be an unsigned integer");
  expect_protocol_error(
      decoder, R"({"action":"B","xid":-1,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "\"xid\"");
  expect_protocol_error(
      decoder, R"({"action":"B","xid":1.5,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "\"xid\"");
  expect_protocol_error(
      decoder,
      R"({"action":"B","xid":4294967296,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "does not fit in 32 bits");
  expect_protocol_error(
      decoder, R"({"action":"B","xid":null,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "\"xid\":null");
  expect_protocol_error(decoder, R"({"action":"B","xid":1,"timestamp":null,"lsn":"0/1"})",
                        "\"timestamp\":null");
  expect_protocol_error(decoder,
                        R"({"action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00","lsn":12})",
                        "\"lsn\" must be a string");
  expect_protocol_error(decoder,
                        R"({"action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00","lsn":"zz"})",
                        "is not an LSN");
  expect_protocol_error(decoder, R"({"action":"B","xid":1,"timestamp":"yesterday","lsn":"0/1"})",
                        "is not a timestamptz");
  expect_protocol_error(decoder, R"({"action":"B","xid":1,"timestamp":5,"lsn":"0/1"})",
                        "\"timestamp\" must be a string");
  expect_protocol_error(
      decoder, R"({"action":"I","xid":1,"lsn":"0/1","schema":"s","table":"t","columns":{}})",
      "\"columns\" must be an array");
  expect_protocol_error(
      decoder, R"({"action":"I","xid":1,"lsn":"0/1","schema":"s","table":"t","columns":[1]})",
      "must be an object");
  expect_protocol_error(
      decoder, R"({"action":"I","xid":1,"lsn":"0/1","schema":["s"],"table":"t","columns":[]})",
      "\"schema\" must be a string");
  expect_protocol_error(decoder, insert_v2(col("a", "json", 114, R"({"k":1})"), ""),
                        "object or array");
  expect_protocol_error(decoder, insert_v2(col("a", "int[]", 1007, "[1,2]"), ""),
                        "object or array");
  expect_protocol_error(decoder, insert_v2(R"({"name":1,"value":1})", ""),
                        "column \"name\" must be a string");
  expect_protocol_error(decoder, insert_v2(R"({"name":"a","typeoid":"23","value":1})", ""),
                        "\"typeoid\"");
  expect_protocol_error(
      decoder,
      R"({"action":"M","xid":null,"lsn":"0/1","transactional":"no","prefix":"p","content":"c"})",
      "\"transactional\" must be true or false");
  expect_protocol_error(
      decoder,
      R"({"action":"M","xid":null,"lsn":"0/1","transactional":false,"prefix":"p","content":null})",
      "\"content\" must be a string");
  expect_protocol_error(decoder, insert_v2(col("a", "text", 25, "1"), R"(,"pk":{"name":"a"})"),
                        "\"pk\" must be an array");
}

TEST(Wal2jsonV2Errors, BadScalarTokens) {
  Wal2jsonDecoder decoder(2);
  // What looks like a number but is not one is named; other bad tokens are not a value at all,
  // or not the literal they start like.
  for (std::string_view token : {"-", "01", "1.", "1e", "1e+", "1.2.3", "0x10"}) {
    expect_protocol_error(
        decoder, insert_v2(col("a", "numeric", 1700, token), ""),
        "\"columns\" element 0 \"" + std::string(token) + "\" is not a JSON number");
  }
  for (std::string_view token : {".5", "+1", "NaN", "Infinity"}) {
    expect_protocol_error(decoder, insert_v2(col("a", "numeric", 1700, token), ""),
                          "\"columns\" element 0 is not a JSON value");
  }
  for (std::string_view token : {"tru", "falsey"}) {
    expect_protocol_error(decoder, insert_v2(col("a", "numeric", 1700, token), ""),
                          "\"columns\" element 0 is not true or false");
  }
  expect_protocol_error(decoder, insert_v2(col("a", "numeric", 1700, "nul"), ""),
                        "\"columns\" element 0 is not null");
}

TEST(Wal2jsonV2Errors, ByteaThatIsNotHex) {
  Wal2jsonDecoder decoder(2);
  // What wal2json writes for '\x00ff10' when the walsender runs with bytea_output = escape.
  expect_protocol_error(decoder, insert_v2(col("b", "bytea", 17, R"("00\\377\\020")"), ""),
                        "bytea_output");
  expect_protocol_error(decoder, insert_v2(col("b", "bytea", 17, R"("abc")"), ""), "bytea_output");
}

TEST(Wal2jsonV2Errors, DuplicateAndMisplacedKeys) {
  Wal2jsonDecoder decoder(2);
  expect_protocol_error(
      decoder,
      R"({"action":"B","action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1"})",
      "duplicate key \"action\"");
  expect_protocol_error(decoder, insert_v2(R"({"name":"a","name":"b","value":1})", ""),
                        "duplicate key \"name\"");
  expect_protocol_error(decoder, insert_v2(col("a", "text", 25, "1"), R"(,"identity":[])"),
                        "must not have \"identity\"");
  expect_protocol_error(
      decoder,
      R"({"action":"B","xid":1,"timestamp":"2026-01-01 00:00:00+00","lsn":"0/1","columns":[]})",
      "must not have \"columns\"");
  expect_protocol_error(
      decoder,
      R"({"action":"D","xid":1,"lsn":"0/1","schema":"s","table":"t","identity":[],"columns":[]})",
      "must not have \"columns\"");
}

TEST(Wal2jsonV2Errors, TransactionStateViolations) {
  Wal2jsonDecoder decoder(2);
  // COMMIT without BEGIN.
  expect_protocol_error(decoder, kC731, "COMMIT of transaction 731 without BEGIN");
  // A change outside a transaction.
  expect_protocol_error(decoder, insert_v2(col("a", "integer", 23, "1")), "outside a transaction");
  expect_protocol_error(decoder, R"({"action":"T","xid":731,"lsn":"0/1","schema":"s","table":"t"})",
                        "outside a transaction");
  expect_protocol_error(
      decoder,
      R"({"action":"M","xid":731,"lsn":"0/1","transactional":true,"prefix":"p","content":"c"})",
      "outside a transaction");

  RecordingHandler rec;
  // BEGIN inside a transaction.
  decoder.decode(kB731, kAt, rec);
  expect_protocol_error(decoder, kB731, "while transaction 731 is open");
  // xid mismatch between BEGIN and COMMIT.
  decoder.decode(kB731, kAt, rec);
  expect_protocol_error(
      decoder,
      R"({"action":"C","xid":732,"timestamp":"2026-11-26 07:05:08.333293+05:30","lsn":"0/1543348","nextlsn":"0/1543378"})",
      "of transaction 732 inside transaction 731");
  // A change of another transaction.
  decoder.decode(kB731, kAt, rec);
  expect_protocol_error(
      decoder, R"({"action":"I","xid":5,"lsn":"0/1","schema":"s","table":"t","columns":[]})",
      "of transaction 5 inside transaction 731");
  // COMMIT LSN differing from BEGIN's.
  decoder.decode(kB731, kAt, rec);
  expect_protocol_error(decoder,
                        R"({"action":"C","xid":731,"lsn":"0/1543349","nextlsn":"0/1543378"})",
                        "differs from BEGIN's 0/1543348");
  // A non-transactional message inside a transaction.
  decoder.decode(kB731, kAt, rec);
  expect_protocol_error(
      decoder,
      R"({"action":"M","xid":null,"timestamp":null,"lsn":"0/1","transactional":false,"prefix":"p","content":"c"})",
      "non-transactional message inside transaction 731");
  // xid null on a transactional message.
  expect_protocol_error(
      decoder,
      R"({"action":"M","xid":null,"lsn":"0/1","transactional":true,"prefix":"p","content":"c"})",
      "\"xid\":null");
}

TEST(Wal2jsonV2Errors, DecoderIsReusableAfterAnError) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  decoder.decode(kB731, kAt, rec);
  EXPECT_TRUE(decoder.in_transaction());
  EXPECT_TRUE(sabot::test::throws_cdc_error([&] { decoder.decode(R"({"action":"I",)", kAt, rec); },
                                            ErrorKind::Protocol,
                                            "expected one complete JSON object"));
  EXPECT_FALSE(decoder.in_transaction());
  rec.clear();
  feed(decoder, rec, {kB731, insert_v2(col("id", "integer", 23, "7")), kC731});
  EXPECT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.changes[0].columns[0].value.text(), "7");
}

TEST(Wal2jsonV2Errors, HandlerExceptionAlsoResetsTheTransaction) {
  struct Throwing : RecordingHandler {
    void on_change(sabot::ChangeEvent&&) override { throw std::runtime_error("sink down"); }
  } handler;
  Wal2jsonDecoder decoder(2);
  decoder.decode(kB731, kAt, handler);
  EXPECT_THROW(decoder.decode(insert_v2(col("id", "integer", 23, "1")), kAt, handler),
               std::runtime_error);
  EXPECT_FALSE(decoder.in_transaction());
  RecordingHandler rec;
  feed(decoder, rec, {kB731, kC731});
  EXPECT_EQ(rec.sequence(), "B C");
}

TEST(Wal2jsonV2Errors, MessageNamesPositionAndEscapedPrefix) {
  Wal2jsonDecoder decoder(2);
  RecordingHandler rec;
  try {
    decoder.decode(std::string_view("{\"action\":\"Q\"\x01\n}", 17), kBadAt, rec);
    FAIL() << "no error";
  } catch (const CdcError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("16/B374D848"), std::string::npos) << message;
    EXPECT_NE(message.find("format-version 2"), std::string::npos) << message;
    EXPECT_NE(message.find("\\x01\\x0a"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // A long payload is cut in the message.
  const std::string long_payload = "{\"action\":\"Z\",\"pad\":\"" + std::string(5000, 'p') + "\"}";
  try {
    decoder.decode(long_payload, kBadAt, rec);
    FAIL() << "no error";
  } catch (const CdcError& e) {
    EXPECT_LT(std::string(e.what()).size(), 600u);
    EXPECT_NE(std::string(e.what()).find("..."), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Format 1

constexpr std::string_view kV1Tx =
    R"({"xid":736,"nextlsn":"0/15439C0","timestamp":"2026-11-25 22:05:08.336143-03:30","change":[)"
    R"({"kind":"insert","schema":"public","table":"order_lines","columnnames":["order_id","line_no","sku","qty"],"columntypes":["integer","smallint","text","integer"],"columntypeoids":[23,21,25,23],"columnvalues":[7,1,"SKU-1",2],"pk":{"pknames":["order_id","line_no"],"pktypes":["integer","smallint"]}},)"
    R"({"kind":"update","schema":"public","table":"order_lines","columnnames":["order_id","line_no","sku","qty"],"columntypes":["integer","smallint","text","integer"],"columntypeoids":[23,21,25,23],"columnvalues":[7,2,"SKU-2",5],"pk":{"pknames":["order_id","line_no"],"pktypes":["integer","smallint"]},"oldkeys":{"keynames":["order_id","line_no"],"keytypes":["integer","smallint"],"keytypeoids":[23,21],"keyvalues":[7,2]}},)"
    R"({"kind":"delete","schema":"public","table":"order_lines","pk":{"pknames":["order_id","line_no"],"pktypes":["integer","smallint"]},"oldkeys":{"keynames":["order_id","line_no"],"keytypes":["integer","smallint"],"keytypeoids":[23,21],"keyvalues":[7,1]}},)"
    R"({"kind":"message","transactional":true,"prefix":"app","content":"tx-msg é"}]})";

TEST(Wal2jsonV1, TransactionDocument) {
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(kV1Tx, Lsn{0x15439C0}, rec);
  EXPECT_FALSE(decoder.in_transaction());
  ASSERT_EQ(rec.sequence(), "B I U D M C");
  // Format 1 has no commit LSN: nextlsn stands for commit LSN, end LSN and every event's lsn.
  EXPECT_EQ(rec.begins[0].xid, 736u);
  EXPECT_EQ(rec.begins[0].commit_lsn.to_string(), "0/15439C0");
  EXPECT_EQ(sabot::format_iso8601(rec.begins[0].commit_time), "2026-11-26T01:35:08.336143Z");
  EXPECT_EQ(rec.commits[0].xid, 736u);
  EXPECT_EQ(rec.commits[0].commit_lsn.to_string(), "0/15439C0");
  EXPECT_EQ(rec.commits[0].end_lsn.to_string(), "0/15439C0");
  EXPECT_EQ(rec.commits[0].commit_time, rec.begins[0].commit_time);
  for (const auto& e : rec.changes) EXPECT_EQ(e.lsn.to_string(), "0/15439C0");

  const auto& ins = rec.changes[0];
  EXPECT_EQ(ins.op, Op::Insert);
  EXPECT_EQ(ins.table, "order_lines");
  ASSERT_EQ(ins.columns.size(), 4u);
  EXPECT_EQ(ins.columns[1].name, "line_no");
  EXPECT_EQ(ins.columns[1].type_name, "smallint");
  EXPECT_EQ(ins.columns[1].type_oid, 21u);
  EXPECT_EQ(ins.columns[1].value.text(), "1");
  EXPECT_EQ(ins.column("sku")->value.text(), "SKU-1");
  EXPECT_EQ(ins.key_columns, (std::vector<std::string>{"order_id", "line_no"}));
  EXPECT_FALSE(ins.old.has_value());

  const auto& upd = rec.changes[1];
  EXPECT_EQ(upd.op, Op::Update);
  EXPECT_EQ(upd.column("qty")->value.text(), "5");
  ASSERT_TRUE(upd.old.has_value());
  ASSERT_EQ(upd.old->size(), 2u);
  EXPECT_EQ(upd.old_column("line_no")->value.text(), "2");
  EXPECT_EQ(upd.old_column("line_no")->type_oid, 21u);

  const auto& del = rec.changes[2];
  EXPECT_EQ(del.op, Op::Delete);
  EXPECT_TRUE(del.columns.empty());
  ASSERT_TRUE(del.old.has_value());
  EXPECT_EQ(del.old_column("line_no")->value.text(), "1");

  const auto& msg = rec.changes[3];
  EXPECT_EQ(msg.op, Op::Message);
  EXPECT_TRUE(msg.message_transactional);
  EXPECT_EQ(msg.message_content, "tx-msg é");
}

TEST(Wal2jsonV1, EmptyTransactionFromTruncate) {
  // Format 1 writes nothing for TRUNCATE: the transaction arrives empty.
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(
      R"({"xid":741,"nextlsn":"0/1544AA8","timestamp":"2026-11-25 22:05:08.338814-03:30","change":[]})",
      Lsn{0x1544AA8}, rec);
  ASSERT_EQ(rec.sequence(), "B C");
  EXPECT_EQ(rec.commits[0].end_lsn.to_string(), "0/1544AA8");
}

TEST(Wal2jsonV1, NonTransactionalMessageTakesWalStart) {
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(
      R"({"change":[{"kind":"message","transactional":false,"prefix":"heartbeat","content":"ping \"1\""}]})",
      Lsn{0x1543C90}, rec);
  ASSERT_EQ(rec.sequence(), "N");
  EXPECT_EQ(rec.messages[0].lsn.to_string(), "0/1543C90");
  EXPECT_EQ(rec.messages[0].message_prefix, "heartbeat");
  EXPECT_EQ(rec.messages[0].message_content, "ping \"1\"");
  EXPECT_FALSE(rec.messages[0].message_transactional);
}

TEST(Wal2jsonV1, ValuesAndFullIdentityWithoutNulls) {
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(
      R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[)"
      R"({"kind":"insert","schema":"public","table":"v","columnnames":["n","b","s","e","z","x"],"columntypes":["numeric","boolean","text","text","text","bytea"],"columntypeoids":[1700,16,25,25,25,17],"columnvalues":[123456789012345678901234567890.123456789,false,"caf\u00e9 😀",null,"","00ff"]},)"
      R"({"kind":"delete","schema":"audit","table":"events","oldkeys":{"keynames":["id","kind"],"keytypes":["integer","text"],"keytypeoids":[23,25],"keyvalues":[2,"logout"]}}]})",
      Lsn{0x10}, rec);
  ASSERT_EQ(rec.sequence(), "B I D C");
  const auto& ins = rec.changes[0];
  EXPECT_EQ(ins.column("n")->value.text(), "123456789012345678901234567890.123456789");
  EXPECT_EQ(ins.column("b")->value.text(), "f");
  EXPECT_EQ(ins.column("s")->value.text(), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_TRUE(ins.column("e")->value.is_null());
  EXPECT_EQ(ins.column("z")->value.text(), "");
  EXPECT_EQ(ins.column("x")->value.text(), "\\x00ff");
  EXPECT_TRUE(ins.key_columns.empty());  // no "pk": table without primary key
  // Format 1 leaves NULL columns out of a REPLICA IDENTITY FULL old row (wal2json behaviour).
  const auto& del = rec.changes[1];
  ASSERT_EQ(del.old->size(), 2u);
  EXPECT_EQ(del.old_column("payload"), nullptr);
}

TEST(Wal2jsonV1, AValueWrittenPastItsDocumentsChunkStaysWithItsEvent) {
  // A bytea value gets its "\x" back in a copy next to the document; a big one does not fit in
  // the room reserved for the document and starts a new buffer. The event must keep that buffer
  // too, whatever the decoder does next (a later document reuses or replaces its buffers).
  const std::string hex(200000, 'a');
  const auto document = [](const std::string& value) {
    return R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[)"
           R"({"kind":"insert","schema":"public","table":"v","columnnames":["x"],)"
           R"("columntypes":["bytea"],"columntypeoids":[17],"columnvalues":[")" +
           value + R"("]}]})";
  };
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(document(hex), Lsn{0x10}, rec);
  decoder.decode(document(std::string(300000, 'b')), Lsn{0x20}, rec);
  decoder.decode(document(std::string(300000, 'c')), Lsn{0x30}, rec);
  ASSERT_EQ(rec.changes.size(), 3u);
  EXPECT_EQ(rec.changes[0].columns[0].value.text(), "\\x" + hex);
  EXPECT_EQ(rec.changes[1].columns[0].value.text(), "\\x" + std::string(300000, 'b'));
}

TEST(Wal2jsonV1, ArraysInAnyOrder) {
  Wal2jsonDecoder decoder(1);
  RecordingHandler rec;
  decoder.decode(
      R"({"change":[{"columnvalues":[1,"x"],"table":"t","columntypeoids":[23,25],"kind":"insert","columnnames":["a","b"],"schema":"s"}],"timestamp":"2026-01-01 00:00:00+00","nextlsn":"0/10","xid":3})",
      Lsn{0x10}, rec);
  ASSERT_EQ(rec.sequence(), "B I C");
  EXPECT_EQ(rec.changes[0].columns[1].name, "b");
  EXPECT_EQ(rec.changes[0].columns[1].type_oid, 25u);
  EXPECT_EQ(rec.changes[0].columns[1].value.text(), "x");
  EXPECT_EQ(rec.changes[0].lsn.to_string(), "0/10");
}

TEST(Wal2jsonV1Errors, BadDocuments) {
  Wal2jsonDecoder decoder(1);
  const std::string head =
      R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[)";
  const std::string ins =
      R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1]})";
  expect_protocol_error(decoder, head + ins, "malformed \"change\" array");  // truncated
  expect_protocol_error(decoder, head + ins + "]", "expected one complete JSON object");
  expect_protocol_error(decoder, head + ins + "]}x", "expected one complete JSON object");
  expect_protocol_error(decoder,
                        R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00"})",
                        "no \"change\"");
  expect_protocol_error(
      decoder, R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":{}})",
      "\"change\" must be an array");
  expect_protocol_error(decoder, R"({"xid":1,"timestamp":"2026-01-01 00:00:00+00","change":[]})",
                        "lacks \"nextlsn\"");
  expect_protocol_error(decoder, R"({"xid":1,"nextlsn":"0/10","change":[]})",
                        "lacks \"timestamp\"");
  expect_protocol_error(decoder, R"({"xid":1,"nextlsn":"0/10","timestamp":"now","change":[]})",
                        "not a timestamptz");
  expect_protocol_error(
      decoder, R"({"xid":"1","nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[]})",
      "\"xid\"");
  expect_protocol_error(
      decoder,
      R"({"xid":1,"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[]})",
      "duplicate key \"xid\"");
  // No xid: only non-transactional messages may come that way.
  expect_protocol_error(decoder, "{\"change\":[" + ins + "]}", "without \"xid\"");
  expect_protocol_error(decoder, R"({"change":[]})", "without \"xid\"");
  expect_protocol_error(
      decoder, R"({"change":[{"kind":"message","transactional":true,"prefix":"p","content":"c"}]})",
      "without \"xid\"");
  expect_protocol_error(
      decoder, head + R"({"kind":"message","transactional":false,"prefix":"p","content":"c"}]})",
      "non-transactional message inside a transaction");
  expect_protocol_error(decoder, head + R"({"kind":"upsert","schema":"s","table":"t"}]})",
                        "unknown kind \"upsert\"");
  expect_protocol_error(decoder, head + R"({"schema":"s","table":"t"}]})", "without \"kind\"");
  expect_protocol_error(
      decoder, head + R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"]}]})",
      "lacks \"columnvalues\"");
  expect_protocol_error(decoder, head + R"({"kind":"delete","schema":"s","table":"t"}]})",
                        "lacks \"oldkeys\"");
  expect_protocol_error(
      decoder,
      head + R"({"kind":"delete","schema":"s","table":"t","oldkeys":{"keynames":["a"]}}]})",
      "lacks \"keyvalues\"");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"delete","schema":"s","table":"t","columnnames":[],"oldkeys":{"keynames":[],"keyvalues":[]}}]})",
      "must not have \"columnnames\"");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a","b"],"columnvalues":[1]}]})",
      "disagree in length");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columntypes":["int","x"],"columnvalues":[1]}]})",
      "disagree in length");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columntypeoids":[],"columnvalues":[1]}]})",
      "disagree in length");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"update","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1],"oldkeys":{"keynames":["a"],"keyvalues":[1,2]}}]})",
      "disagree in length");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[{}]}]})",
      "object or array");
  expect_protocol_error(
      decoder,
      head + R"({"kind":"insert","schema":"s","table":"t","columnnames":[1],"columnvalues":[1]}]})",
      "must be a string");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1],"pk":{"pktypes":[]}}]})",
      "lacks \"pknames\"");
  expect_protocol_error(
      decoder,
      head +
          R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1],"pk":["a"]}]})",
      "\"pk\" must be an object");
  expect_protocol_error(decoder, head + R"(7]})", "must be objects");
}

TEST(Wal2jsonV1Errors, NoHalfTransactionIsDelivered) {
  // The last change is malformed: nothing of the document reaches the handler.
  Wal2jsonDecoder decoder(1);
  expect_protocol_error(
      decoder,
      R"({"xid":1,"nextlsn":"0/10","timestamp":"2026-01-01 00:00:00+00","change":[)"
      R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1]},)"
      R"({"kind":"insert","schema":"s","table":"t","columnnames":["a"],"columnvalues":[1.]}]})",
      "\"columnvalues\" element 0 \"1.\" is not a JSON number");
  RecordingHandler rec;
  decoder.decode(R"({"xid":2,"nextlsn":"0/20","timestamp":"2026-01-01 00:00:00+00","change":[]})",
                 Lsn{0x20}, rec);
  EXPECT_EQ(rec.sequence(), "B C");
}

// ---------------------------------------------------------------------------------------------
// Construction and options

TEST(Wal2jsonDecoderSetup, FormatVersionMustBeOneOrTwo) {
  for (int bad : {0, 3, -1}) {
    try {
      Wal2jsonDecoder decoder(bad);
      ADD_FAILURE() << "accepted format " << bad;
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config);
    }
    EXPECT_TRUE(sabot::test::throws_cdc_error(
        [&] { wal2json_plugin_options(bad, ""); }, ErrorKind::Config,
        "wal2json format-version must be 1 or 2, not " + std::to_string(bad)));
  }
  EXPECT_EQ(Wal2jsonDecoder(1).format_version(), 1);
  EXPECT_EQ(Wal2jsonDecoder(2).format_version(), 2);
}

TEST(Wal2jsonDecoderSetup, PluginOptions) {
  using Options = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(wal2json_plugin_options(2, ""), (Options{{"format-version", "2"},
                                                     {"include-xids", "1"},
                                                     {"include-timestamp", "1"},
                                                     {"include-lsn", "1"},
                                                     {"include-types", "1"},
                                                     {"include-type-oids", "1"},
                                                     {"include-pk", "1"},
                                                     {"include-transaction", "1"}}));
  EXPECT_EQ(wal2json_plugin_options(1, "public.orders"),
            (Options{{"format-version", "1"},
                     {"include-xids", "1"},
                     {"include-timestamp", "1"},
                     {"include-lsn", "1"},
                     {"include-types", "1"},
                     {"include-type-oids", "1"},
                     {"include-pk", "1"},
                     {"add-tables", "public.orders"}}));
  const Options v2 = wal2json_plugin_options(2, "*.audit");
  ASSERT_FALSE(v2.empty());
  EXPECT_EQ(v2.back(), (std::pair<std::string, std::string>{"add-tables", "*.audit"}));
}

TEST(Wal2jsonDecoderSetup, AddTablesEscaping) {
  using Globs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(wal2json_add_tables_value({}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "orders"}}), "public.orders");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "orders"}, {"sales", "Line_Items2"}}),
            "public.orders,sales.Line_Items2");
  // A whole-part '*' is wal2json's wildcard.
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "*"}, {"*", "audit"}}), "public.*,*.audit");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"*", "*"}}), "*.*");
  // Special characters are escaped with a backslash. Checked against wal2json 2.5 on
  // PostgreSQL 15: 'we\.ird\,\ s\*.t\ \\\ x\'y' selects "we.ird, s*"."t \ x'y" and nothing else.
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"we.ird, s", "t \\ x'y"}}),
            "we\\.ird\\,\\ s.t\\ \\\\\\ x\\'y");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"My-Schema", "a$b\"c"}}), "My\\-Schema.a\\$b\\\"c");
  // Non-ASCII UTF-8 passes through.
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "café"}}), "public.café");
  // Not expressible: the caller filters client-side.
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "audit_*"}}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "orders"}, {"*", "audit_?"}}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"p*", "orders"}}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", "**"}}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"", "orders"}}), "");
  EXPECT_EQ(wal2json_add_tables_value(Globs{{"public", ""}}), "");
}

}  // namespace
