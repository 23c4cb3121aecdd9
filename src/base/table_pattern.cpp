#include "sabot/table_pattern.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot {

namespace {

[[noreturn]] void invalid(std::string_view pattern, std::string_view why) {
  throw CdcError(ErrorKind::Config,
                 fmt::format("invalid table pattern '{}': {}. Patterns look like 'public.orders', "
                             "'public.*', '*.audit_?' or '\"My Schema\".\"T\"'",
                             pattern, why));
}

struct Part {
  std::string text;
  bool wildcards = false;
};

// Reads one part (schema or table) starting at `pos`; a quoted part is literal.
Part read_part(std::string_view pattern, size_t& pos) {
  Part part;
  if (pos < pattern.size() && pattern[pos] == '"') {
    ++pos;
    while (true) {
      if (pos >= pattern.size()) invalid(pattern, "unterminated double quote");
      if (pattern[pos] == '"') {
        if (pos + 1 < pattern.size() && pattern[pos + 1] == '"') {  // "" is a literal quote
          part.text += '"';
          pos += 2;
          continue;
        }
        ++pos;
        break;
      }
      part.text += pattern[pos++];
    }
    if (part.text.empty()) invalid(pattern, "empty quoted name");
    return part;
  }
  while (pos < pattern.size() && pattern[pos] != '.') {
    const char c = pattern[pos++];
    if (c == '"') invalid(pattern, "a double quote must enclose a whole name");
    if (c == ' ' || c == ',' || c == '\t') invalid(pattern, "unquoted names cannot hold spaces or commas");
    if (c == '*' || c == '?') part.wildcards = true;
    part.text += c;
  }
  if (part.text.empty()) invalid(pattern, "empty schema or table name");
  return part;
}

// Glob match with '*' (any run, also empty) and '?' (exactly one byte).
bool glob_match(std::string_view glob, std::string_view text) {
  size_t g = 0, t = 0, star_g = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star_g = g++;
      star_t = t;
    } else if (star_g != std::string_view::npos) {
      g = star_g + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool part_matches(const std::string& pattern, bool wildcards, std::string_view name) {
  return wildcards ? glob_match(pattern, name) : pattern == name;
}

}  // namespace

TablePattern TablePattern::parse(std::string_view pattern) {
  if (pattern.empty()) invalid(pattern, "empty pattern");
  size_t pos = 0;
  Part first = read_part(pattern, pos);
  TablePattern result;
  result.text_ = std::string(pattern);
  if (pos == pattern.size()) {
    result.schema_ = "public";
    result.table_ = std::move(first.text);
    result.table_wild_ = first.wildcards;
    return result;
  }
  ++pos;  // the dot
  Part second = read_part(pattern, pos);
  if (pos != pattern.size()) invalid(pattern, "more than one dot outside double quotes");
  result.schema_ = std::move(first.text);
  result.schema_wild_ = first.wildcards;
  result.table_ = std::move(second.text);
  result.table_wild_ = second.wildcards;
  return result;
}

bool TablePattern::matches(std::string_view schema, std::string_view table) const {
  return part_matches(schema_, schema_wild_, schema) && part_matches(table_, table_wild_, table);
}

TableFilter::TableFilter(const std::vector<std::string>& patterns) {
  patterns_.reserve(patterns.size());
  for (const std::string& pattern : patterns) patterns_.push_back(TablePattern::parse(pattern));
}

bool TableFilter::matches(std::string_view schema, std::string_view table) const {
  if (patterns_.empty()) return true;
  for (const TablePattern& pattern : patterns_) {
    if (pattern.matches(schema, table)) return true;
  }
  return false;
}

std::vector<std::string> split_table_patterns(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool in_quotes = false;
  for (char c : text) {
    if (c == '"') in_quotes = !in_quotes;
    if (c == ',' && !in_quotes) {
      if (!current.empty()) out.push_back(current);
      current.clear();
      continue;
    }
    if ((c == ' ' || c == '\t') && !in_quotes) continue;
    current += c;
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

}  // namespace sabot
