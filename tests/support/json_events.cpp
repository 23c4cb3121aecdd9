#include "json_events.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <sstream>
#include <stdexcept>

namespace sabot::test {

namespace {

std::map<std::string, std::string> object_to_map(simdjson::dom::element element) {
  std::map<std::string, std::string> out;
  simdjson::dom::object object;
  if (element.get_object().get(object)) throw std::runtime_error("expected a JSON object");
  for (simdjson::dom::key_value_pair field : object) {
    out[std::string(field.key)] = simdjson::minify(field.value);
  }
  return out;
}

std::string string_or_empty(simdjson::dom::element doc, const char* key) {
  auto field = doc[key];
  if (field.error() || !field.is_string()) return "";
  return std::string(std::string_view(field));
}

std::vector<JsonSchemaColumn> schema_columns(simdjson::dom::element array) {
  std::vector<JsonSchemaColumn> out;
  for (simdjson::dom::element c : simdjson::dom::array(array)) {
    JsonSchemaColumn column;
    column.name = std::string(std::string_view(c["name"]));
    column.type = std::string(std::string_view(c["type"]));
    column.type_oid = uint64_t(c["type_oid"]);
    column.nullable = simdjson::minify(c["nullable"]);
    column.key = bool(c["key"]);
    out.push_back(std::move(column));
  }
  return out;
}

}  // namespace

std::vector<std::string> JsonEvent::schema_column_names() const {
  std::vector<std::string> names;
  for (const JsonSchemaColumn& c : schema_columns) names.push_back(c.name);
  return names;
}

const JsonSchemaColumn& JsonEvent::schema_column(const std::string& name) const {
  for (const JsonSchemaColumn& c : schema_columns) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no column " + name + " in " + raw);
}

std::vector<JsonEvent> parse_jsonl(const std::string& text) {
  std::vector<JsonEvent> events;
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) throw std::runtime_error("not JSON: " + line);
    JsonEvent e;
    e.raw = line;
    e.op = string_or_empty(doc, "op");
    e.schema = string_or_empty(doc, "schema");
    e.table = string_or_empty(doc, "table");
    simdjson::dom::element columns = doc["columns"];
    if (columns.is_object()) e.columns = object_to_map(columns);
    if (columns.is_array()) e.schema_columns = schema_columns(columns);  // schema_change
    e.ddl = string_or_empty(doc, "ddl");
    e.identity = string_or_empty(doc, "identity");
    bool dropped = false;
    if (!doc["dropped"].get_bool().get(dropped)) e.dropped = dropped;
    simdjson::dom::element old = doc["old"];
    if (!old.is_null()) e.old = object_to_map(old);
    simdjson::dom::array toast;
    if (!doc["unchanged_toast"].get_array().get(toast)) {
      for (simdjson::dom::element name : toast) e.unchanged_toast.emplace_back(std::string_view(name));
    }
    e.xid = uint64_t(doc["xid"]);
    e.lsn = string_or_empty(doc, "lsn");
    e.commit_lsn = string_or_empty(doc, "commit_lsn");
    e.commit_time = string_or_empty(doc, "commit_time");
    e.seq = uint64_t(doc["seq"]);
    e.prefix = string_or_empty(doc, "prefix");
    e.content = string_or_empty(doc, "content");
    events.push_back(std::move(e));
  }
  return events;
}

void create_slot(const LocalPostgres& pg, const std::string& slot,
                 const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"init", "--dsn", pg.dsn(), "--slot", slot};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  CommandResult r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

std::vector<JsonEvent> stream_to_now(const LocalPostgres& pg, const std::string& slot,
                                     const std::vector<std::string>& extra_args) {
  const Lsn end = pg.current_wal_insert_lsn();
  std::vector<std::string> args = {"stream", "--dsn", pg.dsn(), "--slot", slot,
                                   "--end-lsn", end.to_string(), "--quiet"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  CommandResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_jsonl(r.out);
}

}  // namespace sabot::test
