// Value: one column value as PostgreSQL's text output form. NULL is distinct from the empty
// string. Typed accessors parse the text form on demand and throw sabot::CdcError (kind
// ValueConversion) when the text does not fit the requested type.
//
// Ownership: a Value is a cheap handle. One made by Value::text() owns its text (shared, so
// copies are cheap and stay valid on their own). One made by Value::view() — what the decoders
// make — borrows the bytes: they belong to the ChangeEvent the value came from (see
// ChangeEvent::storage), so a Value copied out of an event is valid while that event, or a copy
// of it, lives. Use Value::owned() (or std::string(v.text())) to keep one longer.
#pragma once

#include <cstdint>
#include <memory>
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
  // Owns a copy of text_form.
  static Value text(std::string text_form);
  // Borrows text_form: the caller keeps its bytes alive as long as the Value (and its copies).
  static Value view(std::string_view text_form) { return Value(text_form); }

  bool is_null() const { return !has_text_; }
  // PostgreSQL's text output form. Precondition: !is_null() (throws CdcError otherwise).
  std::string_view text() const;
  // Text form, or nullopt for NULL.
  std::optional<std::string_view> text_or_null() const {
    return has_text_ ? std::optional<std::string_view>(text_) : std::nullopt;
  }
  // The same value owning its text: valid on its own, whatever it was borrowed from.
  Value owned() const { return is_null() ? Value() : Value::text(std::string(text_)); }

  // Typed accessors. Each throws CdcError{ValueConversion} on NULL or on text that does not parse.
  int64_t as_int64() const;
  double as_double() const;       // accepts NaN, Infinity, -Infinity
  bool as_bool() const;           // 't'/'f', 'true'/'false'
  std::vector<uint8_t> as_bytes() const;  // bytea hex form "\x0a1b"
  // Numeric is kept exact: the text form is the value. Use a decimal library on it if needed.
  std::string_view as_numeric_text() const { return text(); }

  // Equal when both are NULL or both have the same text (owned or borrowed alike).
  bool operator==(const Value& other) const {
    return has_text_ == other.has_text_ && text_ == other.text_;
  }

 private:
  explicit Value(std::string_view text_form) : text_(text_form), has_text_(true) {}

  std::string_view text_;
  bool has_text_ = false;
  std::shared_ptr<const std::string> owned_;  // set by Value::text(); text_ points into it
};

}  // namespace sabot
