// Options sent:  proto_version N, publication_names NAMES, [messages true], [streaming true]
//   NAMES := "name","name",...      every name double-quoted, each '"' in it doubled
// Publication names as configured (publication_names_csv):
//   ITEM { "," ITEM }   ITEM := a name without '"', trimmed | '"' { char | '""' } '"'
#include "engine/pgoutput_options.hpp"

#include <fmt/format.h>

#include "base/sql_quote.hpp"
#include "sabot/error.hpp"

namespace sabot::engine {

namespace {

[[noreturn]] void config_error(const std::string& what) {
  throw CdcError(ErrorKind::Config, what);
}

// Splits "a, \"B,c\"" into {"a", "B,c"}: unquoted names are kept as written (trimmed), quoted
// ones lose their quotes and "" becomes ".
std::vector<std::string> split_publication_names(const std::string& csv) {
  std::vector<std::string> names;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < csv.size() && (csv[i] == ' ' || csv[i] == '\t' || csv[i] == '\n')) ++i;
  };
  while (true) {
    skip_spaces();
    std::string name;
    if (i < csv.size() && csv[i] == '"') {
      ++i;
      bool closed = false;
      while (i < csv.size()) {
        if (csv[i] == '"') {
          if (i + 1 < csv.size() && csv[i + 1] == '"') {
            name.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        name.push_back(csv[i++]);
      }
      if (!closed) config_error(fmt::format("publication names '{}': unterminated quote", csv));
      skip_spaces();
    } else {
      const size_t start = i;
      while (i < csv.size() && csv[i] != ',') ++i;
      size_t end = i;
      while (end > start && (csv[end - 1] == ' ' || csv[end - 1] == '\t')) --end;
      name = csv.substr(start, end - start);
      if (name.find('"') != std::string::npos) {
        config_error(fmt::format("publication names '{}': a quote inside an unquoted name", csv));
      }
    }
    if (name.empty()) {
      config_error(fmt::format("publication names '{}': empty publication name", csv));
    }
    names.push_back(std::move(name));
    if (i == csv.size()) break;
    if (csv[i] != ',') {
      config_error(fmt::format("publication names '{}': expected ',' after a quoted name", csv));
    }
    ++i;
  }
  return names;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> pgoutput_plugin_options(
    int proto_version, const std::string& publication_names_csv, bool streaming, bool messages) {
  if (proto_version < 1 || proto_version > 4) {
    config_error(
        fmt::format("pgoutput protocol version {} is not supported (use 1 to 4)", proto_version));
  }
  if (streaming && proto_version < 2) {
    config_error("pgoutput streaming needs protocol version 2 or later (PostgreSQL 14+)");
  }
  // Quoted, so that SplitIdentifierString does not fold them to lower case.
  std::string quoted;
  for (const std::string& name : split_publication_names(publication_names_csv)) {
    if (!quoted.empty()) quoted.push_back(',');
    quoted += base::quote_identifier(name, base::IdentifierQuoting::Always);
  }
  std::vector<std::pair<std::string, std::string>> options;
  options.emplace_back("proto_version", std::to_string(proto_version));
  options.emplace_back("publication_names", std::move(quoted));
  if (messages) options.emplace_back("messages", "true");
  if (streaming) options.emplace_back("streaming", "true");
  return options;
}

}  // namespace sabot::engine
