// TablePattern: "schema.table" with '*' (any run) and '?' (one character) wildcards in either part.
// A pattern without a dot means "public.<pattern>". Quoting: a part may be written in double quotes
// ("My.Schema"."T*" matches literally, no wildcards, dots allowed inside quotes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sabot {

class TablePattern {
 public:
  // Throws CdcError{Config} naming the pattern and what is wrong (empty part, stray quote, ...).
  static TablePattern parse(std::string_view pattern);

  bool matches(std::string_view schema, std::string_view table) const;
  const std::string& schema_pattern() const { return schema_; }
  const std::string& table_pattern() const { return table_; }
  bool schema_has_wildcards() const { return schema_wild_; }
  bool table_has_wildcards() const { return table_wild_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string schema_;
  std::string table_;
  bool schema_wild_ = false;
  bool table_wild_ = false;
};

// A comma-separated list of patterns ("public.orders, audit.*") as its patterns: commas and blanks
// inside double quotes belong to the pattern, empty items are dropped. Never throws.
std::vector<std::string> split_table_patterns(std::string_view text);

// A set of patterns; an empty set matches every table.
class TableFilter {
 public:
  TableFilter() = default;
  explicit TableFilter(const std::vector<std::string>& patterns);  // throws like parse()
  bool matches(std::string_view schema, std::string_view table) const;
  bool empty() const { return patterns_.empty(); }
  const std::vector<TablePattern>& patterns() const { return patterns_; }

 private:
  std::vector<TablePattern> patterns_;
};

}  // namespace sabot
