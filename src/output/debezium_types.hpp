// Which of Debezium's PostgreSQL value mappings a column gets (README "Debezium format" has the
// table): chosen by the column's type OID for built-in types, by its type name for extension
// and user types (hstore, citext, ltree, enums, domains) and when a plugin sent no OID. The
// precision of time(p) / timestamp(p) / timestamptz(p) comes from the type name, which both
// decoders write with its modifier ("timestamp(3) without time zone").
#pragma once

#include <cstdint>
#include <string_view>

namespace sabot::output {

enum class DebeziumKind {
  Boolean,      // bool, bit(1): true / false
  Integer,      // int2, int4, int8, oid: a JSON number
  Float,        // float4, float8: a JSON number; NaN / Infinity / -Infinity as strings
  Decimal,      // numeric: string (decimal.handling.mode=string); NaN → "NAN"
  Money,        // money: the amount as a plain decimal string ("-1234.56")
  Text,         // text types and everything Debezium writes as its text form
  Bytes,        // bytea: base64 (binary.handling.mode=bytes under JsonConverter)
  Bits,         // bit(n > 1), bit varying: io.debezium.data.Bits, base64 of little-endian bytes
  Date,         // days since the epoch
  Time,         // time(p): ms past midnight for p <= 3, else µs
  Timestamp,    // timestamp(p): ms since the epoch for p <= 3, else µs
  TimestampTz,  // ISO 8601 in UTC, p fraction digits
  TimeTz,       // ISO 8601 time in UTC
  Interval,     // µs, months of 365.25 / 12 days (interval.handling.mode=numeric)
  Hstore,       // a string holding a JSON object (hstore.handling.mode=json)
  Point,        // {"x","y","wkb","srid"}
  Array,        // a JSON array of the element type's values
};

struct DebeziumType {
  DebeziumKind kind = DebeziumKind::Text;
  int precision = 6;              // fraction digits of time / timestamp / timestamptz types
  uint32_t element_oid = 0;       // Array: the element type (0 when known only by name)
  std::string_view element_name;  // Array: the element type's name (type_name without "[]")
};

// The mapping of a column typed (type_oid, type_name); type_oid may be 0 (unknown).
DebeziumType debezium_type(uint32_t type_oid, std::string_view type_name);

}  // namespace sabot::output
