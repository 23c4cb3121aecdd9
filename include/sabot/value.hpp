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
  // Owns a copy of text_form (reference-counted: copies share it).
  static Value text(std::string text_form);
  // Borrows text_form: the caller keeps its bytes alive as long as the Value (and its copies).
  static Value view(std::string_view text_form) { return Value(text_form); }

  Value(const Value& other) noexcept : text_(other.text_), owned_(other.owned_) {
    if (owned_ != nullptr) retain(owned_);
  }
  Value(Value&& other) noexcept : text_(other.text_), owned_(other.owned_) {
    other.text_ = {};
    other.owned_ = nullptr;
  }
  Value& operator=(const Value& other) noexcept {
    if (other.owned_ != nullptr) retain(other.owned_);
    if (owned_ != nullptr) release(owned_);
    text_ = other.text_;
    owned_ = other.owned_;
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      if (owned_ != nullptr) release(owned_);
      text_ = other.text_;
      owned_ = other.owned_;
      other.text_ = {};
      other.owned_ = nullptr;
    }
    return *this;
  }
  ~Value() {
    if (owned_ != nullptr) release(owned_);
  }

  bool is_null() const { return text_.data() == nullptr; }
  // PostgreSQL's text output form. Precondition: !is_null() (throws CdcError otherwise).
  std::string_view text() const;
  // Text form, or nullopt for NULL.
  std::optional<std::string_view> text_or_null() const {
    return is_null() ? std::nullopt : std::optional<std::string_view>(text_);
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
    return is_null() == other.is_null() && text_ == other.text_;
  }

 private:
  struct OwnedText;  // a reference-counted string (value.cpp)
  static constexpr char kEmptyText[1] = {'\0'};

  // text_form.data() may be nullptr (an empty std::string_view): still the empty text, not NULL.
  explicit Value(std::string_view text_form)
      : text_(text_form.data() != nullptr ? text_form : std::string_view(kEmptyText, 0)) {}
  static void retain(OwnedText* owned) noexcept;
  static void release(OwnedText* owned) noexcept;

  // 24 bytes: decoders make one per column of every row.
  std::string_view text_;        // data() == nullptr means NULL
  OwnedText* owned_ = nullptr;  // set by Value::text(); text_ points into it
};

}  // namespace sabot
