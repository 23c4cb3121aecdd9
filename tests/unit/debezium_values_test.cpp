// Debezium's PostgreSQL value mappings, one type at a time. Every expected value is worked out
// by hand from Debezium's documentation (data type mappings, adaptive time precision,
// decimal.handling.mode=string, binary.handling.mode=bytes → base64 under JsonConverter,
// interval.handling.mode=numeric with 365.25 / 12 days a month, hstore as a JSON string) and, for
// base64 and WKB bytes, from Python's base64 / struct modules — never from this code's output.
#include "output/debezium_values.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/pg_text.hpp"
#include "sabot/error.hpp"

using namespace sabot;

namespace {

// The JSON Debezium writes for one value of a column typed (oid, type_name).
std::string render(uint32_t oid, std::string_view type_name, std::optional<std::string> text) {
  Column column;
  column.name = "c";
  column.type_oid = oid;
  column.type_name = type_name;
  column.value = text ? Value::text(*text) : Value::null();
  std::string out;
  output::append_debezium_value(out, column);
  return out;
}

std::string unchanged_toast(uint32_t oid, std::string_view type_name) {
  Column column;
  column.name = "c";
  column.type_oid = oid;
  column.type_name = type_name;
  column.unchanged_toast = true;
  std::string out;
  output::append_debezium_value(out, column);
  return out;
}

}  // namespace

TEST(DebeziumValues, NullIsNullForEveryType) {
  EXPECT_EQ(render(23, "integer", std::nullopt), "null");
  EXPECT_EQ(render(1184, "timestamp with time zone", std::nullopt), "null");
  EXPECT_EQ(render(1007, "integer[]", std::nullopt), "null");
}

TEST(DebeziumValues, IntegersAndBooleansAreJsonScalars) {
  EXPECT_EQ(render(21, "smallint", "-32768"), "-32768");
  EXPECT_EQ(render(23, "integer", "42"), "42");
  EXPECT_EQ(render(20, "bigint", "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(render(26, "oid", "4294967295"), "4294967295");  // INT64 in Debezium
  EXPECT_EQ(render(16, "boolean", "t"), "true");
  EXPECT_EQ(render(16, "boolean", "f"), "false");
}

TEST(DebeziumValues, FloatsAreNumbersAndNonFiniteOnesStrings) {
  EXPECT_EQ(render(701, "double precision", "1.5"), "1.5");
  EXPECT_EQ(render(700, "real", "-0.25"), "-0.25");
  EXPECT_EQ(render(701, "double precision", "1e+20"), "1e+20");
  EXPECT_EQ(render(701, "double precision", "NaN"), "\"NaN\"");
  EXPECT_EQ(render(700, "real", "Infinity"), "\"Infinity\"");
  EXPECT_EQ(render(701, "double precision", "-Infinity"), "\"-Infinity\"");
}

TEST(DebeziumValues, NumericIsItsPlainStringAndSpecialValuesTheirNames) {
  EXPECT_EQ(render(1700, "numeric(10,2)", "1234.50"), "\"1234.50\"");
  EXPECT_EQ(render(1700, "numeric", "-0.000001"), "\"-0.000001\"");
  EXPECT_EQ(render(1700, "numeric", "123456789012345678901234567890"),
            "\"123456789012345678901234567890\"");
  EXPECT_EQ(render(1700, "numeric", "NaN"), "\"NAN\"");
  EXPECT_EQ(render(1700, "numeric", "Infinity"), "\"POSITIVE_INFINITY\"");
  EXPECT_EQ(render(1700, "numeric", "-Infinity"), "\"NEGATIVE_INFINITY\"");
}

TEST(DebeziumValues, MoneyIsThePlainAmount) {
  EXPECT_EQ(render(790, "money", "$1,234.56"), "\"1234.56\"");
  EXPECT_EQ(render(790, "money", "-$0.50"), "\"-0.50\"");
}

TEST(DebeziumValues, TextTypesAreStrings) {
  EXPECT_EQ(render(25, "text", "a \"q\"\n"), "\"a \\\"q\\\"\\n\"");
  EXPECT_EQ(render(1043, "character varying(20)", ""), "\"\"");
  EXPECT_EQ(render(1042, "character(3)", "ab "), "\"ab \"");
  EXPECT_EQ(render(2950, "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  EXPECT_EQ(render(3802, "jsonb", "{\"a\": 1}"), "\"{\\\"a\\\": 1}\"");
  EXPECT_EQ(render(114, "json", "[1,2]"), "\"[1,2]\"");
  EXPECT_EQ(render(869, "inet", "192.168.0.1/24"), "\"192.168.0.1/24\"");
  EXPECT_EQ(render(3904, "int4range", "[1,10)"), "\"[1,10)\"");
  EXPECT_EQ(render(142, "xml", "<a/>"), "\"<a/>\"");
  EXPECT_EQ(render(16390, "mood", "happy"), "\"happy\"");    // an enum
  EXPECT_EQ(render(16400, "citext", "MiXed"), "\"MiXed\"");  // an extension type
}

TEST(DebeziumValues, ByteaIsBase64) {
  EXPECT_EQ(render(17, "bytea", "\\x68656c6c6f"), "\"aGVsbG8=\"");
  EXPECT_EQ(render(17, "bytea", "\\x0001ff"), "\"AAH/\"");
  EXPECT_EQ(render(17, "bytea", "\\x"), "\"\"");
}

TEST(DebeziumValues, BitOneIsBooleanLongerBitsAreLittleEndianBytes) {
  EXPECT_EQ(render(1560, "bit(1)", "1"), "true");
  EXPECT_EQ(render(1560, "bit", "0"), "false");
  EXPECT_EQ(render(1560, "bit(8)", "10000001"), "\"gQ==\"");             // 0x81
  EXPECT_EQ(render(1562, "bit varying(16)", "1000000000"), "\"AAI=\"");  // bit 9: 00 02
  EXPECT_EQ(render(1562, "bit varying(4)", "0000"), "\"\"");             // no bit set: no bytes
}

TEST(DebeziumValues, DateIsDaysSinceTheEpoch) {
  EXPECT_EQ(render(1082, "date", "1970-01-01"), "0");
  EXPECT_EQ(render(1082, "date", "1970-01-02"), "1");
  EXPECT_EQ(render(1082, "date", "1969-12-31"), "-1");
  EXPECT_EQ(render(1082, "date", "2018-06-20"), "17702");
  EXPECT_EQ(render(1082, "date", "infinity"), "2147483647");
  EXPECT_EQ(render(1082, "date", "-infinity"), "-2147483648");
}

TEST(DebeziumValues, TimeIsMillisUpToPrecisionThreeElseMicros) {
  // 04:05:06.789 = 14706.789 s past midnight
  EXPECT_EQ(render(1083, "time without time zone", "04:05:06.789"), "14706789000");
  EXPECT_EQ(render(1083, "time(6) without time zone", "04:05:06.789"), "14706789000");
  EXPECT_EQ(render(1083, "time(3) without time zone", "04:05:06.789"), "14706789");
  EXPECT_EQ(render(1083, "time(0) without time zone", "04:05:06"), "14706000");
  EXPECT_EQ(render(1083, "time without time zone", "24:00:00"), "86400000000");
}

TEST(DebeziumValues, TimestampIsEpochMicrosOrMillisByPrecision) {
  // Debezium's documentation: "2018-06-20 15:13:16.945104" is 1529507596945104.
  EXPECT_EQ(render(1114, "timestamp without time zone", "2018-06-20 15:13:16.945104"),
            "1529507596945104");
  EXPECT_EQ(render(1114, "timestamp(4) without time zone", "2018-06-20 15:13:16.9451"),
            "1529507596945100");
  EXPECT_EQ(render(1114, "timestamp(3) without time zone", "2018-06-20 15:13:16.945"),
            "1529507596945");
  EXPECT_EQ(render(1114, "timestamp(0) without time zone", "2018-06-20 15:13:16"), "1529507596000");
  EXPECT_EQ(render(1114, "timestamp(3) without time zone", "1969-12-31 23:59:59.999"), "-1");
  EXPECT_EQ(render(1114, "timestamp without time zone", "infinity"), "9223372036825200000");
  EXPECT_EQ(render(1114, "timestamp without time zone", "-infinity"), "-9223372036832400000");
}

TEST(DebeziumValues, TimestamptzIsIsoUtcWithTheColumnsFractionDigits) {
  EXPECT_EQ(render(1184, "timestamp with time zone", "2018-06-20 15:13:16.945104+02"),
            "\"2018-06-20T13:13:16.945104Z\"");
  EXPECT_EQ(render(1184, "timestamp with time zone", "2018-06-20 15:13:16+00"),
            "\"2018-06-20T15:13:16.000000Z\"");
  EXPECT_EQ(render(1184, "timestamp(3) with time zone", "2018-06-20 15:13:16.9-05:30"),
            "\"2018-06-20T20:43:16.900Z\"");
  EXPECT_EQ(render(1184, "timestamp(0) with time zone", "2018-06-20 23:13:16-01"),
            "\"2018-06-21T00:13:16Z\"");
  EXPECT_EQ(render(1184, "timestamp with time zone", "infinity"), "\"infinity\"");
  EXPECT_EQ(render(1184, "timestamp with time zone", "-infinity"), "\"-infinity\"");
}

TEST(DebeziumValues, TimetzIsIsoTimeInUtc) {
  EXPECT_EQ(render(1266, "time with time zone", "04:05:06.789-08"), "\"12:05:06.789Z\"");
  EXPECT_EQ(render(1266, "time with time zone", "23:30:00-02"), "\"01:30:00Z\"");
  EXPECT_EQ(render(1266, "time with time zone", "00:15:00+01"), "\"23:15:00Z\"");
}

TEST(DebeziumValues, IntervalIsMicrosWithAverageMonths) {
  // a month is 365.25 / 12 = 30.4375 days = 2'629'800 s
  EXPECT_EQ(render(1186, "interval", "1 mon"), "2629800000000");
  EXPECT_EQ(render(1186, "interval", "1 year"), "31557600000000");  // 12 months = 365.25 days
  EXPECT_EQ(render(1186, "interval", "3 days 04:05:06.5"), "273906500000");
  EXPECT_EQ(render(1186, "interval", "-1 days +02:03:00"), "-79020000000");
  EXPECT_EQ(render(1186, "interval", "-04:05:06"), "-14706000000");
  EXPECT_EQ(render(1186, "interval", "00:00:00"), "0");
  // beyond int64 microseconds: saturated, as Java's (long) cast of a double does
  EXPECT_EQ(render(1186, "interval", "178000000 years"), "9223372036854775807");
  EXPECT_EQ(render(1186, "interval", "-178000000 years"), "-9223372036854775808");
}

TEST(DebeziumValues, HstoreIsAJsonObjectInAString) {
  EXPECT_EQ(render(16500, "hstore", "\"a\"=>\"1\", \"b\"=>NULL"),
            "\"{\\\"a\\\":\\\"1\\\",\\\"b\\\":null}\"");
  EXPECT_EQ(render(16500, "hstore", ""), "\"{}\"");
}

TEST(DebeziumValues, PointIsXYAndWellKnownBinary) {
  EXPECT_EQ(render(600, "point", "(1,2)"),
            "{\"x\":1,\"y\":2,\"wkb\":\"AQEAAAAAAAAAAADwPwAAAAAAAABA\",\"srid\":null}");
}

TEST(DebeziumValues, ArraysAreJsonArraysOfTheElementMapping) {
  EXPECT_EQ(render(1007, "integer[]", "{1,2,NULL}"), "[1,2,null]");
  EXPECT_EQ(render(1009, "text[]", "{a,\"b c\",\"d\\\"e\",NULL,\"NULL\"}"),
            "[\"a\",\"b c\",\"d\\\"e\",null,\"NULL\"]");
  EXPECT_EQ(render(1007, "integer[]", "{{1,2},{3,4}}"), "[[1,2],[3,4]]");
  EXPECT_EQ(render(1007, "integer[]", "{}"), "[]");
  EXPECT_EQ(render(1007, "integer[]", "[0:1]={7,8}"), "[7,8]");
  EXPECT_EQ(render(1182, "date[]", "{1970-01-02,1969-12-31}"), "[1,-1]");
  EXPECT_EQ(render(1231, "numeric(5,1)[]", "{1.5,NaN}"), "[\"1.5\",\"NAN\"]");
  EXPECT_EQ(render(1000, "boolean[]", "{t,f}"), "[true,false]");
  EXPECT_EQ(render(1115, "timestamp(3) without time zone[]", "{\"2018-06-20 15:13:16.945\"}"),
            "[1529507596945]");
  EXPECT_EQ(render(1185, "timestamp with time zone[]", "{\"2018-06-20 15:13:16.945104+02\"}"),
            "[\"2018-06-20T13:13:16.945104Z\"]");
  EXPECT_EQ(render(16391, "mood[]", "{happy,sad}"), "[\"happy\",\"sad\"]");  // enum array
  EXPECT_EQ(render(0, "integer[]", "{5}"), "[5]");                           // no OID: by name
}

TEST(DebeziumValues, UnchangedToastIsThePlaceholderInTheTypesShape) {
  EXPECT_EQ(unchanged_toast(25, "text"), "\"__debezium_unavailable_value\"");
  EXPECT_EQ(unchanged_toast(3802, "jsonb"), "\"__debezium_unavailable_value\"");
  EXPECT_EQ(unchanged_toast(17, "bytea"), "\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"");
  EXPECT_EQ(unchanged_toast(1009, "text[]"), "[\"__debezium_unavailable_value\"]");
  EXPECT_EQ(unchanged_toast(1007, "integer[]"),
            "[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,"
            "95,118,97,108,117,101]");
  EXPECT_EQ(unchanged_toast(16500, "hstore"),
            "\"{\\\"__debezium_unavailable_value\\\":\\\"__debezium_unavailable_value\\\"}\"");
}

TEST(DebeziumValues, TextThatDoesNotFitItsTypeIsAValueConversionError) {
  for (const auto& [oid, name, text] : std::vector<std::tuple<uint32_t, std::string, std::string>>{
           {1082, "date", "20/06/2018"},
           {1114, "timestamp without time zone", "June 20 2018"},
           {1186, "interval", "P1Y2M"},
           {23, "integer", "forty"},
           {1007, "integer[]", "{1,2"},
           {600, "point", "(1;2)"}}) {
    try {
      render(oid, name, text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::ValueConversion);
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
}

TEST(PgTextParsers, IntervalFieldsOfPostgresStyle) {
  const auto f = base::parse_pg_interval("1 year 2 mons -3 days +04:05:06.789");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->years, 1);
  EXPECT_EQ(f->months, 2);
  EXPECT_EQ(f->days, -3);
  EXPECT_EQ(f->hours, 4);
  EXPECT_EQ(f->minutes, 5);
  EXPECT_DOUBLE_EQ(f->seconds, 6.789);
  EXPECT_FALSE(base::parse_pg_interval(""));
  EXPECT_FALSE(base::parse_pg_interval("1 fortnight"));
  EXPECT_FALSE(base::parse_pg_interval("01:00:00 1 day"));  // the time part comes last
}
