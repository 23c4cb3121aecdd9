// Lsn: a PostgreSQL WAL position (XLogRecPtr), a strong type over uint64.
// Text form is PostgreSQL's: two hex halves, "16/B374D848" (no leading zeros).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sabot {

class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(uint64_t value) : value_(value) {}

  // Parses "X/Y" (hex, case-insensitive, each half at most 8 digits). nullopt on anything else.
  static std::optional<Lsn> parse(std::string_view text);

  constexpr uint64_t value() const { return value_; }
  constexpr bool is_valid() const { return value_ != 0; }  // 0/0 is InvalidXLogRecPtr
  std::string to_string() const;

  constexpr auto operator<=>(const Lsn&) const = default;

 private:
  uint64_t value_ = 0;
};

}  // namespace sabot
