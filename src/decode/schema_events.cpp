#include "decode/schema_events.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <limits>

#include "sabot/error.hpp"

namespace sabot::decode {

namespace {

namespace dom = simdjson::dom;

constexpr uint64_t kDdlMessageVersion = 1;

[[noreturn]] void invalid(const std::string& what) {
  throw CdcError(ErrorKind::Protocol, what);
}

dom::element field(dom::object object, std::string_view key, std::string_view where) {
  dom::element value;
  if (object[key].get(value)) invalid(fmt::format("{} has no \"{}\"", where, key));
  return value;
}

std::string string_field(dom::object object, std::string_view key, std::string_view where) {
  std::string_view text;
  if (field(object, key, where).get_string().get(text)) {
    invalid(fmt::format("{} \"{}\" is not a string", where, key));
  }
  return std::string(text);
}

bool bool_field(dom::object object, std::string_view key, std::string_view where) {
  bool value = false;
  if (field(object, key, where).get_bool().get(value)) {
    invalid(fmt::format("{} \"{}\" is not true or false", where, key));
  }
  return value;
}

uint32_t oid_field(dom::object object, std::string_view key, std::string_view where) {
  uint64_t value = 0;
  if (field(object, key, where).get_uint64().get(value) ||
      value > std::numeric_limits<uint32_t>::max()) {
    invalid(fmt::format("{} \"{}\" is not an OID", where, key));
  }
  return static_cast<uint32_t>(value);
}

SchemaColumn parse_column(dom::element element, size_t index) {
  const std::string where = fmt::format("column {}", index);
  dom::object object;
  if (element.get_object().get(object)) invalid(where + " is not an object");
  SchemaColumn column;
  column.name = string_field(object, "name", where);
  column.type_name = string_field(object, "type", where);
  column.type_oid = oid_field(object, "type_oid", where);
  column.nullable = bool_field(object, "nullable", where);
  column.key = bool_field(object, "key", where);
  if (column.name.empty()) invalid(where + " has an empty name");
  return column;
}

std::string schema_key(std::string_view schema, std::string_view table) {
  std::string k(schema);
  k.push_back('\0');
  k.append(table);
  return k;
}

}  // namespace

std::string_view replica_identity_name(uint8_t relreplident) {
  switch (relreplident) {
    case 'd':
      return "default";
    case 'f':
      return "full";
    case 'i':
      return "index";
    case 'n':
      return "nothing";
    default:
      return "";
  }
}

DdlDescription parse_ddl_description(std::string_view json) {
  dom::parser parser;
  const simdjson::padded_string padded(json.data(), json.size());
  dom::element doc;
  if (const auto ec = parser.parse(padded).get(doc)) {
    invalid(fmt::format("not valid JSON ({})", simdjson::error_message(ec)));
  }
  dom::object object;
  if (doc.get_object().get(object)) invalid("not a JSON object");
  constexpr std::string_view where = "the description";

  uint64_t version = 0;
  if (field(object, "version", where).get_uint64().get(version)) {
    invalid("\"version\" is not a number");
  }
  if (version != kDdlMessageVersion) {
    invalid(
        fmt::format("version {} is not supported (this sabot-cdc reads version {}; the DDL "
                    "capture function of another sabot-cdc release wrote it: run 'sabot-cdc "
                    "init' of this release to reinstall it, or upgrade)",
                    version, kDdlMessageVersion));
  }

  DdlDescription out;
  out.event = string_field(object, "event", where);
  if (out.event != "ddl_command_end" && out.event != "sql_drop" && out.event != "catalog") {
    invalid(fmt::format("unknown event \"{}\"", out.event));
  }
  out.tag = string_field(object, "tag", where);
  auto schema = std::make_shared<TableSchema>();
  schema->relation_oid = oid_field(object, "oid", where);
  schema->schema = string_field(object, "schema", where);
  schema->table = string_field(object, "table", where);
  if (schema->schema.empty() || schema->table.empty()) invalid("empty schema or table name");
  const dom::element identity = field(object, "identity", where);
  if (!identity.is_null()) {
    std::string_view text;
    if (identity.get_string().get(text)) invalid("\"identity\" is not a string or null");
    schema->replica_identity = std::string(text);
  }
  dom::array columns;
  if (field(object, "columns", where).get_array().get(columns)) {
    invalid("\"columns\" is not an array");
  }
  size_t index = 0;
  for (dom::element column : columns) schema->columns.push_back(parse_column(column, index++));
  schema->dropped = out.event == "sql_drop";
  if (schema->dropped && !schema->columns.empty()) invalid("a dropped table with columns");
  schema->ddl = out.event == "catalog" ? "catalog" : out.tag;
  if (out.event != "catalog" && out.tag.empty()) invalid("empty command tag");
  out.schema = std::move(schema);
  return out;
}

namespace {
// What a schema_change event's names point into: the schema and its key column names.
struct SchemaChangeNames {
  std::shared_ptr<const TableSchema> schema;
  std::vector<std::string> key_columns;
};
}  // namespace

void set_schema_change(ChangeEvent& event, std::shared_ptr<const TableSchema> schema) {
  auto names = std::make_shared<SchemaChangeNames>();
  names->schema = schema;
  names->key_columns = schema->key_columns();
  event.op = Op::SchemaChange;
  event.schema = schema->schema;
  event.table = schema->table;
  event.ddl = schema->ddl;
  event.columns.clear();
  event.old.reset();
  for (const SchemaColumn& c : schema->columns) {
    event.columns.push_back(Column{c.name, c.type_oid, c.type_name, Value::null()});
  }
  event.key_columns = names->key_columns;
  event.table_schema = std::move(schema);
  event.storage.names = std::move(names);
  event.storage.values.reset();
}

bool SchemaChangeGate::admit(ChangeEvent& event) {
  if (event.op == Op::Message && event.message_prefix == kDdlMessagePrefix) {
    if (event.message_content.empty()) return false;  // the end marker: carries nothing
    DdlDescription description;
    try {
      description = parse_ddl_description(event.message_content);
    } catch (const CdcError& e) {
      throw CdcError(ErrorKind::Protocol,
                     fmt::format("DDL capture message (prefix \"{}\") at LSN {} is malformed: {}",
                                 kDdlMessagePrefix, event.lsn.to_string(), e.what()),
                     "", event.lsn);
    }
    if (description.event == "catalog") {
      throw CdcError(ErrorKind::Protocol,
                     fmt::format("DDL capture message at LSN {} has event \"catalog\", which only "
                                 "a catalog snapshot may have",
                                 event.lsn.to_string()),
                     "", event.lsn);
    }
    auto schema = std::const_pointer_cast<TableSchema>(description.schema);
    schema->lsn = event.lsn;
    event.message_prefix.clear();
    event.message_content.clear();
    event.message_transactional = false;
    set_schema_change(event, std::move(schema));
  }
  if (event.op != Op::SchemaChange || !event.table_schema) return true;

  const std::string key = schema_key(event.schema, event.table);
  if (event.ddl == kRelationChangedDdl) {
    auto it = reported_.find(key);
    if (it != reported_.end() && it->second->same_shape(*event.table_schema)) return false;
  }
  if (event.table_schema->dropped) {
    reported_.erase(key);
  } else {
    reported_[key] = event.table_schema;
  }
  return true;
}

}  // namespace sabot::decode
