// Value: one column value as PostgreSQL's text output form, plus its type OID.
// NULL is distinct from the empty string. Typed accessors parse the text form on demand and throw
// sabot::CdcError (kind ValueConversion) when the text does not fit the requested type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sabot {

// Type OIDs of the built-in types that get special treatment (pg_type.oid, fixed since PG 8).
namespace type_oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kJson = 114;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestampTz = 1184;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
}  // namespace type_oid

class Value {
 public:
  Value() = default;  // NULL
  static Value null() { return Value(); }
  static Value text(std::string text_form) { return Value(std::move(text_form)); }

  bool is_null() const { return !text_.has_value(); }
  // PostgreSQL's text output form. Precondition: !is_null() (throws CdcError otherwise).
  const std::string& text() const;
  // Text form, or nullopt for NULL.
  const std::optional<std::string>& text_or_null() const { return text_; }

  // Typed accessors. Each throws CdcError{ValueConversion} on NULL or on text that does not parse.
  int64_t as_int64() const;
  double as_double() const;       // accepts NaN, Infinity, -Infinity
  bool as_bool() const;           // 't'/'f', 'true'/'false'
  std::vector<uint8_t> as_bytes() const;  // bytea hex form "\x0a1b"
  // Numeric is kept exact: the text form is the value. Use a decimal library on it if needed.
  const std::string& as_numeric_text() const { return text(); }

  bool operator==(const Value&) const = default;

 private:
  explicit Value(std::string text_form) : text_(std::move(text_form)) {}
  std::optional<std::string> text_;
};

}  // namespace sabot
