// Money as integer cents: numeric(…, 2) values from the stream are exact text ("1234.50"), and
// adding them as doubles would drift from what SQL's sum() says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sabot::examples {

using Cents = int64_t;

// "1234.5" → 123450, "-0.07" → -7, "12" → 1200. Throws std::invalid_argument for anything else,
// including more than two decimals (a value that cents cannot hold exactly).
Cents parse_cents(std::string_view numeric_text);
// 123450 → "1234.50" (the numeric text form, for SQL and comparisons).
std::string cents_to_numeric(Cents cents);
// 123450 → "$1,234.50" (for people).
std::string format_money(Cents cents);

}  // namespace sabot::examples
