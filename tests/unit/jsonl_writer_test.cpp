#include "output/jsonl_writer.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

using namespace sabot;

namespace {

Column col(std::string_view name, uint32_t oid, std::optional<std::string> text) {
  Column c;
  c.name = name;
  c.type_oid = oid;
  c.value = text ? Value::text(*text) : Value::null();
  return c;
}

}  // namespace

TEST(JsonlWriter, RendersTheDocumentedFieldsAndValueRules) {
  ChangeEvent e;
  e.op = Op::Update;
  e.schema = "public";
  e.table = "t\"q";
  e.columns = {col("i", type_oid::kInt8, "-9223372036854775808"),
               col("f", type_oid::kFloat8, "NaN"),
               col("g", type_oid::kFloat4, "1.5e+10"),
               col("b", type_oid::kBool, "t"),
               col("n", type_oid::kNumeric, "123456789012345678901234567890.000001"),
               col("s", type_oid::kText, "line\nbreak \"q\" \\ \x01 é"),
               col("e", type_oid::kText, ""),
               col("z", type_oid::kText, std::nullopt)};
  e.old = std::vector<Column>{col("i", type_oid::kInt8, "1")};
  e.transaction_id = 42;
  e.lsn = Lsn(0x16'B374D848);
  e.commit_lsn = Lsn(0x16'B374D900);
  e.commit_time = Timestamp(std::chrono::microseconds(1'764'120'552'672'064));
  e.seq = 3;

  std::string out;
  output::append_event_jsonl(out, e);
  ASSERT_EQ(out.back(), '\n');

  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(std::string_view(doc["op"]), "update");
  EXPECT_EQ(std::string_view(doc["table"]), "t\"q");
  EXPECT_EQ(int64_t(doc["columns"]["i"]), INT64_MIN);
  EXPECT_EQ(std::string_view(doc["columns"]["f"]), "NaN");
  EXPECT_DOUBLE_EQ(double(doc["columns"]["g"]), 1.5e10);
  EXPECT_EQ(bool(doc["columns"]["b"]), true);
  EXPECT_EQ(std::string_view(doc["columns"]["n"]), "123456789012345678901234567890.000001");
  EXPECT_EQ(std::string_view(doc["columns"]["s"]), "line\nbreak \"q\" \\ \x01 é");
  EXPECT_EQ(std::string_view(doc["columns"]["e"]), "");
  EXPECT_TRUE(doc["columns"]["z"].is_null());
  EXPECT_EQ(int64_t(doc["old"]["i"]), 1);
  EXPECT_EQ(uint64_t(doc["xid"]), 42u);
  EXPECT_EQ(std::string_view(doc["lsn"]), "16/B374D848");
  EXPECT_EQ(std::string_view(doc["commit_lsn"]), "16/B374D900");
  EXPECT_EQ(std::string_view(doc["commit_time"]), "2025-11-26T01:29:12.672064Z");
  EXPECT_EQ(uint64_t(doc["seq"]), 3u);
}

TEST(JsonlWriter, UnchangedToastIsListedNeverFaked) {
  ChangeEvent e;
  e.op = Op::Update;
  Column big = col("big", type_oid::kText, std::nullopt);
  big.unchanged_toast = true;
  e.columns = {col("id", type_oid::kInt4, "1"), big};
  std::string out;
  output::append_event_jsonl(out, e);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(doc["columns"]["big"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(std::string_view(doc["unchanged_toast"].at(0)), "big");
  EXPECT_TRUE(doc["old"].is_null());
}

TEST(JsonlWriter, MessagesAndTruncatesCarryTheirFields) {
  ChangeEvent m;
  m.op = Op::Message;
  m.message_prefix = "pfx";
  m.message_content = "hello";
  m.message_transactional = true;
  std::string out;
  output::append_event_jsonl(out, m);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(std::string_view(doc["op"]), "message");
  EXPECT_EQ(std::string_view(doc["prefix"]), "pfx");
  EXPECT_EQ(std::string_view(doc["content"]), "hello");
  EXPECT_TRUE(bool(doc["transactional"]));
}

namespace {

// The text of column "v" of a line rendered by append_event_jsonl, parsed back by simdjson.
std::string round_trip_value(std::string_view name, const std::string& value) {
  ChangeEvent e;
  e.op = Op::Insert;
  e.schema = "public";
  e.table = "t";
  e.columns = {col(name, type_oid::kText, value)};
  std::string out;
  output::append_event_jsonl(out, e);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  return std::string(std::string_view(doc["columns"][name]));
}

}  // namespace

// The writer copies 16 and 8 bytes at a time and escapes in between: every length around those
// steps, with a byte that needs escaping (or one that does not) at every position, comes back
// from a JSON parser as it went in.
TEST(JsonlWriter, EveryEscapePositionAndLengthRoundTrips) {
  const std::string specials[] = {"\"", "\\", "\n", "\r", "\t", "\b", "\f", std::string(1, '\0'),
                                  "\x01", "\x1f", "\x7f", "\xc3\xa9", " "};
  for (size_t length = 0; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const std::string& special : specials) {
        std::string value(length, 'a');
        value.replace(at, 1, special);
        ASSERT_EQ(round_trip_value("v", value), value) << "length " << length << " at " << at;
      }
    }
  }
}

TEST(JsonlWriter, ValuesThatAreAllEscapesAndLongValuesRoundTrip) {
  for (size_t length = 0; length <= 70; ++length) {
    const std::string quotes(length, '"');
    ASSERT_EQ(round_trip_value("v", quotes), quotes);
    const std::string controls(length, '\x02');
    ASSERT_EQ(round_trip_value("v", controls), controls);
  }
  // Longer than what reserves its worst case at once: room is found again at each escape.
  std::string long_value;
  for (int i = 0; i < 3000; ++i) long_value += (i % 7 == 0) ? "\x01\"" : "xyz";
  ASSERT_GT(long_value.size(), 4096u);
  EXPECT_EQ(round_trip_value("v", long_value), long_value);
  const std::string all_controls(10000, '\x03');
  EXPECT_EQ(round_trip_value("v", all_controls), all_controls);
  // Column names are escaped the same way.
  EXPECT_EQ(round_trip_value("na\"me\\", "x"), "x");
}

// The public std::string writer and the line writer escape alike.
TEST(JsonlWriter, AppendJsonStringMatchesTheLineWriter) {
  const std::string value = "tab\there \"quoted\" back\\slash \x01\x1f end of a long enough text";
  std::string literal;
  output::append_json_string(literal, value);
  ChangeEvent e;
  e.op = Op::Insert;
  e.schema = "s";
  e.table = "t";
  e.columns = {col("v", type_oid::kText, value)};
  std::string line;
  output::append_event_jsonl(line, e);
  EXPECT_NE(line.find("\"v\":" + literal + "}"), std::string::npos) << line;
  EXPECT_EQ(literal, "\"tab\\there \\\"quoted\\\" back\\\\slash \\u0001\\u001f end of a long enough text\"");
}

// Integer columns are JSON numbers only when their text is one; anything else stays a string.
TEST(JsonlWriter, IntegerTextsThatAreNotJsonNumbersStayStrings) {
  auto render = [](uint32_t oid, const std::string& text) {
    ChangeEvent e;
    e.op = Op::Insert;
    e.schema = "s";
    e.table = "t";
    e.columns = {col("v", oid, text)};
    std::string out;
    output::append_event_jsonl(out, e);
    const size_t at = out.find("\"v\":") + 4;
    return out.substr(at, out.find('}', at) - at);
  };
  EXPECT_EQ(render(type_oid::kInt4, "0"), "0");
  EXPECT_EQ(render(type_oid::kInt4, "-7"), "-7");
  EXPECT_EQ(render(type_oid::kInt8, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(render(type_oid::kInt2, "007"), "\"007\"");
  EXPECT_EQ(render(type_oid::kInt2, "-"), "\"-\"");
  EXPECT_EQ(render(type_oid::kInt2, ""), "\"\"");
  EXPECT_EQ(render(type_oid::kInt4, "-0"), "-0");
  EXPECT_EQ(render(type_oid::kInt4, "12a"), "\"12a\"");
  EXPECT_EQ(render(type_oid::kInt4, "1.5"), "1.5");  // not an integer text, still a JSON number
  EXPECT_EQ(render(type_oid::kFloat8, "1e5"), "1e5");
}

// A huge line is rendered whole, and the next small line still renders right after the writer
// let its big buffer go.
TEST(JsonlWriter, AHugeLineThenASmallOne) {
  const std::string huge(3 << 20, 'h');
  EXPECT_EQ(round_trip_value("v", huge), huge);
  EXPECT_EQ(round_trip_value("v", "small"), "small");
}

namespace {

// The column names of a rendered line, in order.
std::vector<std::string> rendered_names(const ChangeEvent& e, const char* part = "columns") {
  std::string out;
  output::append_event_jsonl(out, e);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  std::vector<std::string> names;
  for (auto field : simdjson::dom::object(doc[part])) names.emplace_back(field.key);
  return names;
}

}  // namespace

// The writer keeps each table's rendered names; what a line says must still be what the event's
// names say, wherever their bytes live and whatever they held before.
TEST(JsonlWriter, CachedNamesFollowTheEventsBytesNotWhereTheyLive) {
  auto names = std::make_shared<std::string>("alpha\"beta");  // one buffer, as a decoder's
  const std::shared_ptr<const void> owner = names;
  ChangeEvent e;
  e.schema = "public";
  e.table = "t";
  e.storage.names = owner;
  e.columns = {col(std::string_view(names->data(), 5), type_oid::kInt4, "1"),
               col(std::string_view(names->data() + 5, 5), type_oid::kText, "x")};
  EXPECT_EQ(rendered_names(e), (std::vector<std::string>{"alpha", "\"beta"}));
  // The same addresses now hold other names (the memory was reused): the line says so.
  names->replace(0, 10, "gamma\\zeta");
  EXPECT_EQ(rendered_names(e), (std::vector<std::string>{"gamma", "\\zeta"}));
  // Another table behind the same storage.names.
  e.table = "u";
  std::string out;
  output::append_event_jsonl(out, e);
  simdjson::dom::parser parser;
  EXPECT_EQ(std::string_view(parser.parse(out)["table"]), "u");
  // Fewer columns than cached, a long name (not cached), an old image keyed by one column.
  const std::string long_name(40, 'L');
  e.columns = {col(long_name, type_oid::kInt4, "2")};
  e.old = std::vector<Column>{col("k", type_oid::kInt4, "3")};
  EXPECT_EQ(rendered_names(e), (std::vector<std::string>{long_name}));
  EXPECT_EQ(rendered_names(e, "old"), (std::vector<std::string>{"k"}));
}

TEST(JsonlWriter, ManyTablesInTurnKeepTheirOwnNames) {
  std::vector<std::string> tables, first_columns;
  for (int i = 0; i < 9; ++i) {
    tables.push_back("table_" + std::to_string(i));
    first_columns.push_back("column_of_" + std::to_string(i));
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 9; ++i) {
      ChangeEvent e;
      e.schema = "s";
      e.table = tables[i];
      e.columns = {col(first_columns[i], type_oid::kInt4, "1"), col("v", type_oid::kText, "x")};
      std::string out;
      output::append_event_jsonl(out, e);
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(out);
      EXPECT_EQ(std::string_view(doc["table"]), tables[i]);
      EXPECT_EQ(int64_t(doc["columns"][first_columns[i]]), 1) << out;
    }
  }
}

TEST(JsonlWriter, ATableFirstSeenThroughADeleteStillGetsItsNamesRight) {
  ChangeEvent deleted;
  deleted.op = Op::Delete;
  deleted.schema = "s";
  deleted.table = "first_a_delete";
  deleted.old = std::vector<Column>{col("id", type_oid::kInt4, "1")};
  EXPECT_EQ(rendered_names(deleted, "old"), (std::vector<std::string>{"id"}));
  ChangeEvent inserted;
  inserted.schema = "s";
  inserted.table = "first_a_delete";
  inserted.columns = {col("id", type_oid::kInt4, "2"), col("name", type_oid::kText, "x")};
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(rendered_names(inserted), (std::vector<std::string>{"id", "name"}));
  }
}
