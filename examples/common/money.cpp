#include "money.hpp"

#include <stdexcept>

namespace sabot::examples {

Cents parse_cents(std::string_view text) {
  const std::string original(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  Cents units = 0;
  Cents fraction = 0;
  int fraction_digits = -1;  // -1: no decimal point seen
  for (char c : text) {
    if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
    } else if (c >= '0' && c <= '9' && fraction_digits < 0) {
      units = units * 10 + (c - '0');
    } else if (c >= '0' && c <= '9' && fraction_digits < 2) {
      fraction = fraction * 10 + (c - '0');
      ++fraction_digits;
    } else if (c == '0') {
      continue;  // trailing zeros beyond cents ("1.500") are exact
    } else {
      throw std::invalid_argument("not a money amount with at most two decimals: " + original);
    }
  }
  if (text.empty() || text == ".") throw std::invalid_argument("not a money amount: " + original);
  if (fraction_digits == 1) fraction *= 10;
  const Cents cents = units * 100 + fraction;
  return negative ? -cents : cents;
}

std::string cents_to_numeric(Cents cents) {
  const bool negative = cents < 0;
  const Cents magnitude = negative ? -cents : cents;
  std::string fraction = std::to_string(magnitude % 100);
  if (fraction.size() == 1) fraction = "0" + fraction;
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + fraction;
}

std::string format_money(Cents cents) {
  const bool negative = cents < 0;
  std::string units = std::to_string((negative ? -cents : cents) / 100);
  for (int i = static_cast<int>(units.size()) - 3; i > 0; i -= 3) units.insert(i, ",");
  const std::string numeric = cents_to_numeric(negative ? -cents : cents);
  return (negative ? "-$" : "$") + units + numeric.substr(numeric.find('.'));
}

}  // namespace sabot::examples
