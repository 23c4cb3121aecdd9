#include "sabot/schema.hpp"

#include "sabot/change_event.hpp"

namespace sabot {

namespace {

// Below FirstNormalObjectId: built-in types, whose names are fixed and show the type modifier.
constexpr uint32_t kFirstNormalObjectId = 16384;

bool same_column(const SchemaColumn& a, const SchemaColumn& b) {
  if (a.name != b.name || a.type_oid != b.type_oid || a.key != b.key) return false;
  // User-defined type names may be qualified differently by each source; their OID decides.
  if (a.type_oid < kFirstNormalObjectId && a.type_name != b.type_name) return false;
  return !(a.nullable && b.nullable && *a.nullable != *b.nullable);
}

}  // namespace

const SchemaColumn* TableSchema::column(std::string_view name) const {
  for (const SchemaColumn& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> TableSchema::key_columns() const {
  std::vector<std::string> keys;
  for (const SchemaColumn& c : columns) {
    if (c.key) keys.push_back(c.name);
  }
  return keys;
}

bool TableSchema::same_shape(const TableSchema& other) const {
  if (schema != other.schema || table != other.table || dropped != other.dropped ||
      replica_identity != other.replica_identity || columns.size() != other.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!same_column(columns[i], other.columns[i])) return false;
  }
  return true;
}

std::string SchemaRegistry::key(std::string_view schema, std::string_view table) {
  // PostgreSQL names never contain a zero byte, so this key is unambiguous.
  std::string k;
  k.reserve(schema.size() + table.size() + 1);
  k.append(schema);
  k.push_back('\0');
  k.append(table);
  return k;
}

void SchemaRegistry::put(std::shared_ptr<const TableSchema> schema) {
  if (!schema) return;
  const std::string k = key(schema->schema, schema->table);
  if (schema->dropped) {
    tables_.erase(k);
    return;
  }
  if (schema->relation_oid != 0) {
    // The same table under an older name (ALTER TABLE ... RENAME TO / SET SCHEMA).
    for (auto it = tables_.begin(); it != tables_.end();) {
      if (it->first != k && it->second->relation_oid == schema->relation_oid) {
        it = tables_.erase(it);
      } else {
        ++it;
      }
    }
  }
  tables_[k] = std::move(schema);
}

void SchemaRegistry::apply(const ChangeEvent& event) {
  if (event.op != Op::SchemaChange) return;
  if (event.table_schema) {
    put(event.table_schema);
    return;
  }
  // A hand-made event without table_schema: what columns and key_columns say.
  auto schema = std::make_shared<TableSchema>();
  schema->schema = event.schema;
  schema->table = event.table;
  schema->ddl = event.ddl;
  schema->lsn = event.lsn;
  for (const Column& c : event.columns) {
    SchemaColumn& column = schema->columns.emplace_back();
    column.name = c.name;
    column.type_oid = c.type_oid;
    column.type_name = c.type_name;
    for (const std::string& k : event.key_columns) {
      if (k == c.name) column.key = true;
    }
  }
  put(std::move(schema));
}

std::shared_ptr<const TableSchema> SchemaRegistry::find(std::string_view schema,
                                                        std::string_view table) const {
  auto it = tables_.find(key(schema, table));
  return it == tables_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const TableSchema>> SchemaRegistry::tables() const {
  std::vector<std::shared_ptr<const TableSchema>> out;
  out.reserve(tables_.size());
  for (const auto& [k, schema] : tables_) out.push_back(schema);
  return out;
}

}  // namespace sabot
