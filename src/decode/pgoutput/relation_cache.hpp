// RelationCache: what pgoutput told us about each table (Relation 'R') and user-defined type
// (Type 'Y'), so row messages, which carry only a relation OID and values, can be turned into
// named, typed columns.
//
// pgoutput sends a Relation message before the first change of a table in each session, and again
// whenever the table's definition changed; a new message replaces the cached entry. It sends a
// Type message before a Relation that uses a non-built-in type. Built-in type OIDs are fixed
// (pg_type.dat) and named here as PostgreSQL's format_type() prints them — the names wal2json
// reports — e.g. "integer", "character varying(20)", "timestamp with time zone", "integer[]".
//
// Not thread-safe; owned by one decoder. Entries are immutable and shared: events decoded from a
// relation keep its entry alive (their names point into it), so replacing an entry never
// invalidates them. A pointer returned by find() stays valid until the entry is replaced by
// upsert() or add_type() or the cache is cleared; hold the shared_ptr to keep it longer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "decode/pgoutput/pgoutput_messages.hpp"

namespace sabot::decode::pgoutput {

struct CachedColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  bool is_key = false;    // part of the replica identity
  std::string type_name;  // format_type() name; empty when the type is unknown
};

struct CachedRelation {
  uint32_t relation_oid = 0;
  std::string schema;  // "pg_catalog" when the message's namespace was empty
  std::string table;
  uint8_t replica_identity = 'd';
  std::vector<CachedColumn> columns;
  std::vector<std::string> key_columns;  // names of the is_key columns, in column order
};

class RelationCache {
 public:
  // with_typmod: name types with their modifier ("character varying(20)", "numeric(10,2)"), as
  // format_type(oid, typmod) and wal2json's default include-typmod do; otherwise without it
  // ("character varying", "numeric"), as format_type(oid, NULL).
  explicit RelationCache(bool with_typmod = true) : with_typmod_(with_typmod) {}

  // Replaces (or adds) the entry for message.relation_oid and returns it.
  const std::shared_ptr<const CachedRelation>& upsert(const RelationMessage& message);
  // Remembers a user type's name; refreshes the type names of cached relations that use it.
  void add_type(const TypeMessage& message);

  // The entry for relation_oid, or nullptr.
  const CachedRelation* find(uint32_t relation_oid) const {
    const std::shared_ptr<const CachedRelation>* entry = find_shared(relation_oid);
    return entry == nullptr ? nullptr : entry->get();
  }
  // The same, as the shared entry (what events keep), or nullptr.
  const std::shared_ptr<const CachedRelation>* find_shared(uint32_t relation_oid) const {
    auto it = relations_.find(relation_oid);
    return it == relations_.end() ? nullptr : &it->second;
  }

  // The name a column of this type gets: built-in, else from a Type message, else empty.
  std::string type_name(uint32_t type_oid, int32_t type_modifier) const;

  size_t size() const { return relations_.size(); }
  void clear();

 private:
  bool with_typmod_;
  std::unordered_map<uint32_t, std::shared_ptr<const CachedRelation>> relations_;
  std::unordered_map<uint32_t, std::string> user_types_;  // OID -> (qualified) type name
};

// format_type() name of a built-in type (OID below 10000, from pg_type.dat): with_typmod and
// type_modifier >= 0 add the modifier. Empty for an OID that is not a known built-in type.
std::string builtin_type_name(uint32_t type_oid, int32_t type_modifier, bool with_typmod);

}  // namespace sabot::decode::pgoutput
