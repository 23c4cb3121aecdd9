#include "output/debezium_types.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace sabot::output {

namespace {

struct KindByOid {
  uint32_t oid;
  DebeziumKind kind;
};

// Built-in scalar types whose mapping is not the text form (pg_type.dat OIDs, fixed).
constexpr auto kScalarKinds = std::to_array<KindByOid>({
    {16, DebeziumKind::Boolean},     {17, DebeziumKind::Bytes},
    {20, DebeziumKind::Integer},     {21, DebeziumKind::Integer},
    {23, DebeziumKind::Integer},     {26, DebeziumKind::Integer},
    {600, DebeziumKind::Point},      {700, DebeziumKind::Float},
    {701, DebeziumKind::Float},      {790, DebeziumKind::Money},
    {1082, DebeziumKind::Date},      {1083, DebeziumKind::Time},
    {1114, DebeziumKind::Timestamp}, {1184, DebeziumKind::TimestampTz},
    {1186, DebeziumKind::Interval},  {1266, DebeziumKind::TimeTz},
    {1560, DebeziumKind::Bits},      {1562, DebeziumKind::Bits},
    {1700, DebeziumKind::Decimal},
});

struct ArrayByOid {
  uint32_t array_oid;
  uint32_t element_oid;
};

// Built-in array types (typarray of pg_type.dat).
constexpr auto kArrayElements = std::to_array<ArrayByOid>({
    {143, 142},   {199, 114},   {629, 628},   {651, 650},   {719, 718},   {775, 774},
    {791, 790},   {1000, 16},   {1001, 17},   {1002, 18},   {1003, 19},   {1005, 21},
    {1007, 23},   {1009, 25},   {1014, 1042}, {1015, 1043}, {1016, 20},   {1017, 600},
    {1021, 700},  {1022, 701},  {1028, 26},   {1040, 829},  {1041, 869},  {1115, 1114},
    {1182, 1082}, {1183, 1083}, {1185, 1184}, {1187, 1186}, {1231, 1700}, {1270, 1266},
    {1561, 1560}, {1563, 1562}, {2951, 2950}, {3643, 3614}, {3807, 3802}, {3905, 3904},
    {3907, 3906}, {3909, 3908}, {3911, 3910}, {3913, 3912}, {3927, 3926},
});

struct OidByName {
  std::string_view name;
  uint32_t oid;
};

// format_type() names (modifier removed) of the types above, for columns without an OID.
constexpr auto kOidsByName = std::to_array<OidByName>({
    {"boolean", 16},
    {"bytea", 17},
    {"bigint", 20},
    {"smallint", 21},
    {"integer", 23},
    {"oid", 26},
    {"point", 600},
    {"real", 700},
    {"double precision", 701},
    {"money", 790},
    {"date", 1082},
    {"time without time zone", 1083},
    {"timestamp without time zone", 1114},
    {"timestamp with time zone", 1184},
    {"interval", 1186},
    {"time with time zone", 1266},
    {"bit", 1560},
    {"bit varying", 1562},
    {"numeric", 1700},
});

// The name without its modifier: "timestamp(3) without time zone" → "timestamp without time
// zone", "numeric(10,2)" → "numeric".
std::string without_modifier(std::string_view name) {
  const size_t open = name.find('(');
  const size_t close = name.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::string(name);
  return std::string(name.substr(0, open)) + std::string(name.substr(close + 1));
}

// The single number of a "(p)" modifier, or `fallback` (no modifier, or "(10,2)").
int modifier_of(std::string_view name, int fallback) {
  const size_t open = name.find('(');
  const size_t close = name.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return fallback;
  int value = fallback;
  const char* first = name.data() + open + 1;
  const char* last = name.data() + close;
  const auto [end, error] = std::from_chars(first, last, value);
  return error == std::errc() && end == last ? value : fallback;
}

uint32_t oid_by_name(std::string_view type_name) {
  const std::string base = without_modifier(type_name);
  for (const OidByName& entry : kOidsByName) {
    if (entry.name == base) return entry.oid;
  }
  return 0;
}

DebeziumKind scalar_kind(uint32_t oid) {
  const auto* it = std::find_if(kScalarKinds.begin(), kScalarKinds.end(),
                                [oid](const KindByOid& k) { return k.oid == oid; });
  return it == kScalarKinds.end() ? DebeziumKind::Text : it->kind;
}

uint32_t element_of(uint32_t array_oid) {
  const auto* it =
      std::find_if(kArrayElements.begin(), kArrayElements.end(),
                   [array_oid](const ArrayByOid& a) { return a.array_oid == array_oid; });
  return it == kArrayElements.end() ? 0 : it->element_oid;
}

bool ends_with_brackets(std::string_view name) {
  return name.size() > 2 && name.substr(name.size() - 2) == "[]";
}

}  // namespace

DebeziumType debezium_type(uint32_t type_oid, std::string_view type_name) {
  DebeziumType type;
  const uint32_t element_oid = element_of(type_oid);
  if (element_oid != 0 || ends_with_brackets(type_name)) {
    type.kind = DebeziumKind::Array;
    type.element_oid = element_oid;
    if (ends_with_brackets(type_name))
      type.element_name = type_name.substr(0, type_name.size() - 2);
    return type;
  }
  // User and extension types have OIDs of their own (>= 16384): known by name only.
  const bool builtin = type_oid != 0 && type_oid < 16384;
  if (!builtin && (type_name == "hstore" || type_name.ends_with(".hstore"))) {
    type.kind = DebeziumKind::Hstore;
    return type;
  }
  type.kind = scalar_kind(builtin ? type_oid : oid_by_name(type_name));
  switch (type.kind) {
    case DebeziumKind::Time:
    case DebeziumKind::Timestamp:
    case DebeziumKind::TimestampTz:
      type.precision = modifier_of(type_name, 6);
      break;
    case DebeziumKind::Bits:
      // bit without a modifier is bit(1); bit(1) and bit varying(1) are booleans in Debezium.
      if (type_name == "bit" || modifier_of(type_name, 0) == 1) type.kind = DebeziumKind::Boolean;
      break;
    default:
      break;
  }
  return type;
}

}  // namespace sabot::output
