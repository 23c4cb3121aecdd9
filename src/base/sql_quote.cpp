#include "base/sql_quote.hpp"

namespace sabot::base {

namespace {

bool is_lower_or_underscore(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}

bool needs_no_quotes(std::string_view name) {
  if (name.empty() || !is_lower_or_underscore(name[0])) return false;
  for (char c : name) {
    if (!is_lower_or_underscore(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// `text` between two `quote` characters, each `quote` inside it doubled.
std::string enclose(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

}  // namespace

std::string quote_identifier(std::string_view name, IdentifierQuoting when) {
  if (when == IdentifierQuoting::WhenNeeded && needs_no_quotes(name)) return std::string(name);
  return enclose(name, '"');
}

std::string quote_literal(std::string_view value) {
  return enclose(value, '\'');
}

}  // namespace sabot::base
