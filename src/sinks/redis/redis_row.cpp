#include "sinks/redis/redis_row.hpp"

#include <fmt/format.h>

#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"
#include "sinks/redis/redis_keys.hpp"

namespace sabot::sinks::redis {

namespace {

constexpr std::string_view kFenceField = "_lsn";

const Column* find(const std::vector<Column>& columns, const std::string& name) {
  for (const Column& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

[[noreturn]] void no_key(const ChangeEvent& event, std::string_view why) {
  throw CdcError(
      ErrorKind::Consumer,
      fmt::format("Redis sink: cannot key a {} of {}.{}: {}. Give the table a primary key (or "
                  "REPLICA IDENTITY USING INDEX), or name its key columns with "
                  "--redis-key-columns {}.{}=COLUMN[,COLUMN]",
                  to_string(event.op), event.schema, event.table, why, event.schema, event.table));
}

// The key suffix (see key_suffix) read from `columns`; nullopt if a key column is absent from them
// (old images hold only the identity columns) or was not sent (unchanged TOAST).
std::optional<std::string> key_suffix_of(const ChangeEvent& event,
                                         const std::vector<Column>& columns,
                                         std::span<const std::string> names) {
  std::string suffix;
  for (const std::string& name : names) {
    const Column* column = find(columns, name);
    if (!column || column->unchanged_toast) return std::nullopt;
    if (column->value.is_null()) no_key(event, fmt::format("key column \"{}\" is NULL", name));
    if (&name != names.data()) suffix += ':';
    append_key_value(suffix, column->value.text());
  }
  return suffix;
}

}  // namespace

ChangeKeys change_keys(const ChangeEvent& event, const std::vector<std::string>* key_columns) {
  const std::span<const std::string> names =
      key_columns ? std::span<const std::string>(*key_columns) : event.key_columns.span();
  if (names.empty()) no_key(event, "the stream names no key columns for it");
  ChangeKeys keys;
  if (event.op != Op::Delete) {
    keys.new_key = key_suffix_of(event, event.columns, names);
    if (!keys.new_key && event.old) keys.new_key = key_suffix_of(event, *event.old, names);
    if (!keys.new_key) no_key(event, "the new row lacks a key column");
  }
  if (event.op == Op::Update || event.op == Op::Delete) {
    // No old image (or one without the key) means the key did not change.
    if (event.old) keys.old_key = key_suffix_of(event, *event.old, names);
    if (!keys.old_key && event.op == Op::Delete) {
      no_key(event, "the server sent no old key (REPLICA IDENTITY NOTHING?)");
    }
  }
  if (keys.old_key && keys.new_key && *keys.old_key == *keys.new_key) keys.old_key.reset();
  return keys;
}

RowShape row_shape(const ChangeEvent& event) {
  RowShape shape;
  for (const Column& column : event.columns) {
    if (column.name == kFenceField) {
      throw CdcError(ErrorKind::Consumer,
                     fmt::format("Redis sink: table {}.{} has a column named \"_lsn\", the hash "
                                 "field that holds the change position; use --redis-format json",
                                 event.schema, event.table));
    }
    if (column.unchanged_toast) {
      shape.complete = false;
    } else if (column.value.is_null()) {
      ++shape.nulls;
    } else {
      ++shape.values;
    }
  }
  return shape;
}

std::string row_json(const ChangeEvent& event, std::string_view fence) {
  std::string out = "{";
  for (const Column& column : event.columns) {
    if (column.unchanged_toast || column.name == kFenceField) continue;
    output::append_json_string(out, column.name);
    out += ':';
    output::append_json_value(out, column);
    out += ',';
  }
  output::append_json_string(out, kFenceField);
  out += ':';
  output::append_json_string(out, fence);
  out += '}';
  return out;
}

}  // namespace sabot::sinks::redis
