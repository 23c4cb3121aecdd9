#include "decode/pgoutput/relation_cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "base/sql_quote.hpp"

namespace sabot::decode::pgoutput {

namespace {

// Built-in types (pg_type.dat; OIDs are fixed across releases). elem_oid != 0 marks an array type,
// named "<element>[]". Sorted by OID for binary search.
struct BuiltinType {
  uint32_t oid;
  const char* name;  // format_type(oid, NULL)
  uint32_t elem_oid;
};

constexpr std::array kBuiltinTypes = std::to_array<BuiltinType>({
    {16, "boolean", 0},
    {17, "bytea", 0},
    {18, "\"char\"", 0},
    {19, "name", 0},
    {20, "bigint", 0},
    {21, "smallint", 0},
    {22, "int2vector", 0},
    {23, "integer", 0},
    {24, "regproc", 0},
    {25, "text", 0},
    {26, "oid", 0},
    {27, "tid", 0},
    {28, "xid", 0},
    {29, "cid", 0},
    {30, "oidvector", 0},
    {114, "json", 0},
    {142, "xml", 0},
    {143, nullptr, 142},
    {194, "pg_node_tree", 0},
    {199, nullptr, 114},
    {271, nullptr, 5069},
    {600, "point", 0},
    {601, "lseg", 0},
    {602, "path", 0},
    {603, "box", 0},
    {604, "polygon", 0},
    {628, "line", 0},
    {629, nullptr, 628},
    {650, "cidr", 0},
    {651, nullptr, 650},
    {700, "real", 0},
    {701, "double precision", 0},
    {718, "circle", 0},
    {719, nullptr, 718},
    {774, "macaddr8", 0},
    {775, nullptr, 774},
    {790, "money", 0},
    {791, nullptr, 790},
    {829, "macaddr", 0},
    {869, "inet", 0},
    {1000, nullptr, 16},
    {1001, nullptr, 17},
    {1002, nullptr, 18},
    {1003, nullptr, 19},
    {1005, nullptr, 21},
    {1006, nullptr, 22},
    {1007, nullptr, 23},
    {1008, nullptr, 24},
    {1009, nullptr, 25},
    {1010, nullptr, 27},
    {1011, nullptr, 28},
    {1012, nullptr, 29},
    {1013, nullptr, 30},
    {1014, nullptr, 1042},
    {1015, nullptr, 1043},
    {1016, nullptr, 20},
    {1017, nullptr, 600},
    {1018, nullptr, 601},
    {1019, nullptr, 602},
    {1020, nullptr, 603},
    {1021, nullptr, 700},
    {1022, nullptr, 701},
    {1027, nullptr, 604},
    {1028, nullptr, 26},
    {1033, "aclitem", 0},
    {1034, nullptr, 1033},
    {1040, nullptr, 829},
    {1041, nullptr, 869},
    {1042, "character", 0},
    {1043, "character varying", 0},
    {1082, "date", 0},
    {1083, "time without time zone", 0},
    {1114, "timestamp without time zone", 0},
    {1115, nullptr, 1114},
    {1182, nullptr, 1082},
    {1183, nullptr, 1083},
    {1184, "timestamp with time zone", 0},
    {1185, nullptr, 1184},
    {1186, "interval", 0},
    {1187, nullptr, 1186},
    {1231, nullptr, 1700},
    {1266, "time with time zone", 0},
    {1270, nullptr, 1266},
    {1560, "bit", 0},
    {1561, nullptr, 1560},
    {1562, "bit varying", 0},
    {1563, nullptr, 1562},
    {1700, "numeric", 0},
    {1790, "refcursor", 0},
    {2201, nullptr, 1790},
    {2202, "regprocedure", 0},
    {2203, "regoper", 0},
    {2204, "regoperator", 0},
    {2205, "regclass", 0},
    {2206, "regtype", 0},
    {2207, nullptr, 2202},
    {2208, nullptr, 2203},
    {2209, nullptr, 2204},
    {2210, nullptr, 2205},
    {2211, nullptr, 2206},
    {2949, nullptr, 2970},
    {2950, "uuid", 0},
    {2951, nullptr, 2950},
    {2970, "txid_snapshot", 0},
    {3220, "pg_lsn", 0},
    {3221, nullptr, 3220},
    {3614, "tsvector", 0},
    {3615, "tsquery", 0},
    {3642, "gtsvector", 0},
    {3643, nullptr, 3614},
    {3644, nullptr, 3642},
    {3645, nullptr, 3615},
    {3734, "regconfig", 0},
    {3735, nullptr, 3734},
    {3769, "regdictionary", 0},
    {3770, nullptr, 3769},
    {3802, "jsonb", 0},
    {3807, nullptr, 3802},
    {3904, "int4range", 0},
    {3905, nullptr, 3904},
    {3906, "numrange", 0},
    {3907, nullptr, 3906},
    {3908, "tsrange", 0},
    {3909, nullptr, 3908},
    {3910, "tstzrange", 0},
    {3911, nullptr, 3910},
    {3912, "daterange", 0},
    {3913, nullptr, 3912},
    {3926, "int8range", 0},
    {3927, nullptr, 3926},
    {4072, "jsonpath", 0},
    {4073, nullptr, 4072},
    {4089, "regnamespace", 0},
    {4090, nullptr, 4089},
    {4096, "regrole", 0},
    {4097, nullptr, 4096},
    {4191, "regcollation", 0},
    {4192, nullptr, 4191},
    {4451, "int4multirange", 0},
    {4532, "nummultirange", 0},
    {4533, "tsmultirange", 0},
    {4534, "tstzmultirange", 0},
    {4535, "datemultirange", 0},
    {4536, "int8multirange", 0},
    {5038, "pg_snapshot", 0},
    {5039, nullptr, 5038},
    {5069, "xid8", 0},
    {6150, nullptr, 4451},
    {6151, nullptr, 4532},
    {6152, nullptr, 4533},
    {6153, nullptr, 4534},
    {6155, nullptr, 4535},
    {6157, nullptr, 4536},
});

static_assert(std::is_sorted(kBuiltinTypes.begin(), kBuiltinTypes.end(),
                             [](const BuiltinType& a, const BuiltinType& b) {
                               return a.oid < b.oid;
                             }),
              "kBuiltinTypes must be sorted by OID");

const BuiltinType* find_builtin(uint32_t oid) {
  auto it = std::lower_bound(kBuiltinTypes.begin(), kBuiltinTypes.end(), oid,
                             [](const BuiltinType& t, uint32_t o) { return t.oid < o; });
  return (it != kBuiltinTypes.end() && it->oid == oid) ? &*it : nullptr;
}

// Interval typmod: field mask in the high 16 bits (bit numbers from datetime.h: MONTH 1, YEAR 2,
// DAY 3, HOUR 10, MINUTE 11, SECOND 12; 0x7FFF = all), precision in the low 16 (0xFFFF = none).
std::string interval_typmod_suffix(int32_t typmod) {
  constexpr int kMonth = 1 << 1, kYear = 1 << 2, kDay = 1 << 3, kHour = 1 << 10, kMinute = 1 << 11,
                kSecond = 1 << 12;
  const int range = (typmod >> 16) & 0x7FFF;
  const int precision = typmod & 0xFFFF;
  const char* fields = nullptr;
  switch (range) {
    case kYear:
      fields = " year";
      break;
    case kMonth:
      fields = " month";
      break;
    case kDay:
      fields = " day";
      break;
    case kHour:
      fields = " hour";
      break;
    case kMinute:
      fields = " minute";
      break;
    case kSecond:
      fields = " second";
      break;
    case kYear | kMonth:
      fields = " year to month";
      break;
    case kDay | kHour:
      fields = " day to hour";
      break;
    case kDay | kHour | kMinute:
      fields = " day to minute";
      break;
    case kDay | kHour | kMinute | kSecond:
      fields = " day to second";
      break;
    case kHour | kMinute:
      fields = " hour to minute";
      break;
    case kHour | kMinute | kSecond:
      fields = " hour to second";
      break;
    case kMinute | kSecond:
      fields = " minute to second";
      break;
    case 0x7FFF:
      fields = "";
      break;
    default:
      fields = "";
      break;  // not a range PostgreSQL produces
  }
  if (precision != 0xFFFF) return fmt::format("{}({})", fields, precision);
  return fields;
}

// format_type(oid, typmod) for a non-array built-in with typmod >= 0.
std::string with_modifier(uint32_t oid, const char* name, int32_t typmod) {
  switch (oid) {
    case 1042:
      return fmt::format("character({})", typmod - 4);
    case 1043:
      return fmt::format("character varying({})", typmod - 4);
    case 1700: {
      const int32_t t = typmod - 4;
      const int precision = (t >> 16) & 0xFFFF;
      const int scale = ((t & 0x7FF) ^ 1024) - 1024;  // 11-bit signed since PostgreSQL 15
      return fmt::format("numeric({},{})", precision, scale);
    }
    case 1083:
      return fmt::format("time({}) without time zone", typmod);
    case 1266:
      return fmt::format("time({}) with time zone", typmod);
    case 1114:
      return fmt::format("timestamp({}) without time zone", typmod);
    case 1184:
      return fmt::format("timestamp({}) with time zone", typmod);
    case 1186:
      return "interval" + interval_typmod_suffix(typmod);
    case 1560:
      return fmt::format("bit({})", typmod);
    case 1562:
      return fmt::format("bit varying({})", typmod);
    default:
      return name;  // no other built-in type takes a modifier
  }
}

std::string format_builtin(const BuiltinType& type, int32_t typmod, bool with_typmod) {
  if (with_typmod && typmod >= 0) return with_modifier(type.oid, type.name, typmod);
  // bpchar with typmod -1 is not CHARACTER (which means character(1)): format_type names it
  // "bpchar" when a modifier was given.
  if (with_typmod && type.oid == 1042) return "bpchar";
  return type.name;
}

}  // namespace

std::string builtin_type_name(uint32_t type_oid, int32_t type_modifier, bool with_typmod) {
  const BuiltinType* type = find_builtin(type_oid);
  if (type == nullptr) return {};
  if (type->elem_oid == 0) return format_builtin(*type, type_modifier, with_typmod);
  const BuiltinType* elem = find_builtin(type->elem_oid);
  if (elem == nullptr || elem->name == nullptr) return {};
  return format_builtin(*elem, type_modifier, with_typmod) + "[]";
}

std::string RelationCache::type_name(uint32_t type_oid, int32_t type_modifier) const {
  std::string name = builtin_type_name(type_oid, type_modifier, with_typmod_);
  if (!name.empty()) return name;
  auto it = user_types_.find(type_oid);
  return it == user_types_.end() ? std::string() : it->second;
}

const std::shared_ptr<const CachedRelation>& RelationCache::upsert(
    const RelationMessage& message) {
  auto fresh = std::make_shared<CachedRelation>();
  CachedRelation& rel = *fresh;
  rel.relation_oid = message.relation_oid;
  rel.schema = message.namespace_name.empty() ? std::string("pg_catalog")
                                              : std::string(message.namespace_name);
  rel.table = std::string(message.relation_name);
  rel.replica_identity = message.replica_identity;
  rel.columns.clear();
  rel.columns.reserve(message.columns.size());
  rel.key_columns.clear();
  for (const RelationColumn& c : message.columns) {
    CachedColumn column;
    column.name = std::string(c.name);
    column.type_oid = c.type_oid;
    column.type_modifier = c.type_modifier;
    column.is_key = c.is_key();
    column.type_name = type_name(c.type_oid, c.type_modifier);
    if (column.is_key) rel.key_columns.push_back(column.name);
    rel.columns.push_back(std::move(column));
  }
  std::shared_ptr<const CachedRelation>& slot = relations_[message.relation_oid];
  slot = std::move(fresh);
  return slot;
}

void RelationCache::add_type(const TypeMessage& message) {
  // format_type() qualifies a type that is not visible on the search path; a walsender's search
  // path is the default ("$user", public), so public and pg_catalog types stay unqualified.
  // Its names are quoted only when needed ("mood", "\"Mood\"").
  using base::IdentifierQuoting;
  std::string name;
  if (!message.namespace_name.empty() && message.namespace_name != "public" &&
      message.namespace_name != "pg_catalog") {
    name = base::quote_identifier(message.namespace_name, IdentifierQuoting::WhenNeeded) + ".";
  }
  name += base::quote_identifier(message.type_name, IdentifierQuoting::WhenNeeded);
  user_types_[message.type_oid] = name;
  // A Type message normally precedes the Relation that uses it; refresh any that came first.
  // Entries are shared with events already decoded: replace, never modify.
  for (auto& [oid, rel] : relations_) {
    std::shared_ptr<CachedRelation> renamed;
    for (size_t i = 0; i < rel->columns.size(); ++i) {
      if (rel->columns[i].type_oid != message.type_oid) continue;
      if (!renamed) renamed = std::make_shared<CachedRelation>(*rel);
      renamed->columns[i].type_name = name;
    }
    if (renamed) rel = std::move(renamed);
  }
}

void RelationCache::clear() {
  relations_.clear();
  user_types_.clear();
}

}  // namespace sabot::decode::pgoutput
