// Option list:  format-version N, include-xids 1, include-timestamp 1, include-lsn 1,
//               include-types 1, include-type-oids 1, include-pk 1,
//               [include-transaction 1 (format 2)], [add-tables ADD_TABLES]
// ADD_TABLES := ENTRY { "," ENTRY }     ENTRY := PART "." PART
// PART       := "*" | { letter | digit | "_" | non-ASCII byte | "\" other-ASCII }
#include "decode/wal2json/wal2json_options.hpp"

#include <fmt/format.h>

#include <string_view>

#include "sabot/error.hpp"

namespace sabot::decode {

namespace {

// Characters passed without a backslash. Every other ASCII character is escaped: wal2json takes
// an escaped character literally, so escaping more than it strictly needs is safe.
bool is_plain_name_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         u >= 0x80;
}

// One part (schema or table) of an add-tables entry; false when wal2json cannot express it.
bool append_add_tables_part(std::string& out, std::string_view glob) {
  if (glob.empty()) return false;
  if (glob == "*") {
    out += '*';
    return true;
  }
  for (char c : glob) {
    if (c == '*' || c == '?') return false;  // a partial wildcard: wal2json only has whole-part *
    if (!is_plain_name_char(c)) out += '\\';
    out += c;
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> wal2json_plugin_options(
    int format_version, const std::string& add_tables) {
  if (format_version != 1 && format_version != 2) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("wal2json format-version must be 1 or 2, not {}", format_version));
  }
  std::vector<std::pair<std::string, std::string>> options = {
      {"format-version", std::to_string(format_version)},
      {"include-xids", "1"},
      {"include-timestamp", "1"},
      {"include-lsn", "1"},
      {"include-types", "1"},
      {"include-type-oids", "1"},
      {"include-pk", "1"},
  };
  // Format 2 writes B and C only with include-transaction (its default is on; say it anyway,
  // the decoder depends on it).
  if (format_version == 2) options.emplace_back("include-transaction", "1");
  if (!add_tables.empty()) options.emplace_back("add-tables", add_tables);
  return options;
}

std::string wal2json_add_tables_value(
    const std::vector<std::pair<std::string, std::string>>& schema_table_globs) {
  std::string out;
  for (const auto& [schema, table] : schema_table_globs) {
    if (!out.empty()) out += ',';
    if (!append_add_tables_part(out, schema)) return "";
    out += '.';
    if (!append_add_tables_part(out, table)) return "";
  }
  return out;
}

}  // namespace sabot::decode
