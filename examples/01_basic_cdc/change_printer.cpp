#include "change_printer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>

namespace sabot::examples::basic {

namespace {

const Column* find(const std::vector<Column>& row, std::string_view name) {
  for (const Column& c : row) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Numbers and booleans print bare, everything else quoted.
bool is_bare(const Column& c) {
  switch (c.type_oid) {
    case type_oid::kBool:
    case type_oid::kInt2:
    case type_oid::kInt4:
    case type_oid::kInt8:
    case type_oid::kFloat4:
    case type_oid::kFloat8:
    case type_oid::kNumeric:
      return true;
    default:
      return false;
  }
}

// NULL, a number as is, anything else in double quotes.
std::string show(const Column& column, std::optional<std::string_view> value) {
  if (!value) return "NULL";
  return is_bare(column) ? std::string(*value) : fmt::format("\"{}\"", *value);
}

// An owned copy: a ColumnChange outlives the event it came from.
std::optional<std::string> owned(std::optional<std::string_view> text) {
  return text ? std::optional<std::string>(*text) : std::nullopt;
}

std::string show_row(const std::vector<Column>& row) {
  std::string out;
  for (const Column& c : row) {
    if (c.unchanged_toast) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", c.name, show(c, c.value.text_or_null()));
  }
  return out;
}

// "id=3" from the key columns (whichever row image holds them).
std::string show_key(const ChangeEvent& e, const std::vector<std::string>& key_columns) {
  std::string out;
  for (const std::string& name :
       key_columns.empty() ? e.key_columns : NameList(key_columns)) {
    const Column* c = e.column(name) ? e.column(name) : e.old_column(name);
    if (!c) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", name, show(*c, c->value.text_or_null()));
  }
  return out.empty() ? "(no key)" : out;
}

std::string header(const ChangeEvent& e, std::string_view op) {
  return fmt::format("  {:<6} {}.{} lsn {}", op, e.schema, e.table, e.lsn.to_string());
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "ALTER TABLE: (id integer primary key identity not null, name text identity, ...)" — the
// table's columns after the DDL. "identity" marks the replica identity columns (what an update or
// delete carries as its old row: every column under REPLICA IDENTITY FULL); "primary key" the
// columns the program names as the table's key, which the stream itself does not report.
std::string show_schema_change(const ChangeEvent& e, const std::vector<std::string>& primary_key) {
  if (!e.table_schema || e.table_schema->dropped) {
    return fmt::format("{}  {} (table dropped)\n", header(e, "SCHEMA"), e.ddl);
  }
  std::string columns;
  for (const SchemaColumn& c : e.table_schema->columns) {
    columns += fmt::format("{}{} {}{}{}{}", columns.empty() ? "" : ", ", c.name, c.type_name,
                           contains(primary_key, c.name) ? " primary key" : "",
                           c.key ? " identity" : "", c.nullable == false ? " not null" : "");
  }
  return fmt::format("{}  {}: ({})\n", header(e, "SCHEMA"), e.ddl, columns);
}

}  // namespace

std::vector<ColumnChange> diff_columns(const std::vector<Column>& old_row,
                                       const std::vector<Column>& new_row) {
  std::vector<ColumnChange> changes;
  for (const Column& now : new_row) {
    if (now.unchanged_toast) continue;
    const Column* before = find(old_row, now.name);
    const std::optional<std::string_view> old_value =
        before ? before->value.text_or_null() : std::nullopt;
    if (!before || old_value != now.value.text_or_null()) {
      changes.push_back({std::string(now.name), owned(old_value), owned(now.value.text_or_null())});
    }
  }
  return changes;
}

std::string describe_transaction(uint32_t xid, Lsn commit_lsn, Timestamp commit_time,
                                 size_t changes) {
  return fmt::format("BEGIN xid {}, commit {} at {} ({} change{})\n", xid, commit_lsn.to_string(),
                     format_iso8601(commit_time), changes, changes == 1 ? "" : "s");
}

std::string describe_change(const ChangeEvent& e, const std::vector<std::string>& key_columns) {
  switch (e.op) {
    case Op::Insert:
      return fmt::format("{}  {}\n", header(e, "INSERT"), show_row(e.columns));
    case Op::Read:  // a snapshot row (--snapshot): the row as it already was
      return fmt::format("{}  {}\n", header(e, "READ"), show_row(e.columns));
    case Op::Delete:
      return fmt::format("{}  {}  (was: {})\n", header(e, "DELETE"), show_key(e, key_columns),
                         e.old ? show_row(*e.old) : "old row not sent");
    case Op::Update: {
      if (!e.old || e.old->size() < e.columns.size()) {
        return fmt::format("{}  {}  new: {}  (no old row: set REPLICA IDENTITY FULL for a diff)\n",
                           header(e, "UPDATE"), show_key(e, key_columns), show_row(e.columns));
      }
      std::string out = fmt::format("{}  {}\n", header(e, "UPDATE"), show_key(e, key_columns));
      for (const ColumnChange& c : diff_columns(*e.old, e.columns)) {
        const Column* column = e.column(c.column);
        out += fmt::format("           {}: {} → {}\n", c.column, show(*column, c.old_value),
                           show(*column, c.new_value));
      }
      return out;
    }
    case Op::Truncate:
      return fmt::format("{}\n", header(e, "TRUNCATE"));
    case Op::Message:
      return fmt::format("  MESSAGE {}: {}\n", e.message_prefix, e.message_content);
    case Op::SchemaChange:
      return show_schema_change(e, key_columns);
  }
  return "";
}

}  // namespace sabot::examples::basic
