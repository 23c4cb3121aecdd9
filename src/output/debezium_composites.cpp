#include "output/debezium_composites.hpp"

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <optional>

#include "output/debezium_values.hpp"
#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"

namespace sabot::output {

namespace {

[[noreturn]] void malformed(std::string_view column, std::string_view what, std::string_view text) {
  throw CdcError(ErrorKind::ValueConversion,
                 fmt::format("column {}: '{}' is not a PostgreSQL {} text form; use --format "
                             "sabot to stream the text form",
                             column, text, what));
}

// A double-quoted string with backslash escapes, from text[pos] == '"'; pos ends past it.
std::optional<std::string> read_quoted(std::string_view text, size_t& pos) {
  std::string value;
  for (++pos; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '"') {
      ++pos;
      return value;
    }
    if (c == '\\') {
      if (++pos == text.size()) return std::nullopt;
      c = text[pos];
    }
    value += c;
  }
  return std::nullopt;
}

bool is_null_token(std::string_view token) {
  return token.size() == 4 && (token[0] == 'N' || token[0] == 'n') &&
         (token[1] == 'U' || token[1] == 'u') && (token[2] == 'L' || token[2] == 'l') &&
         (token[3] == 'L' || token[3] == 'l');
}

struct ArrayReader {
  std::string_view text;
  std::string_view column;
  const DebeziumType& element;
  std::string& out;
  size_t pos = 0;

  [[noreturn]] void fail() { malformed(column, "array", text); }

  void element_value() {
    if (pos < text.size() && text[pos] == '{') return dimension();
    if (pos < text.size() && text[pos] == '"') {
      auto value = read_quoted(text, pos);
      if (!value) fail();
      return append_debezium_text(out, element, *value, column);
    }
    const size_t end = text.find_first_of(",}", pos);
    if (end == std::string_view::npos || end == pos) fail();
    const std::string_view token = text.substr(pos, end - pos);
    pos = end;
    if (is_null_token(token)) {
      out += "null";
    } else {
      append_debezium_text(out, element, token, column);
    }
  }

  // '{' [ element { ',' element } ] '}'
  void dimension() {
    if (pos >= text.size() || text[pos] != '{') fail();
    ++pos;
    out += '[';
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      out += ']';
      return;
    }
    for (bool first = true;; first = false) {
      if (!first) out += ',';
      element_value();
      if (pos >= text.size()) fail();
      if (text[pos++] == '}') break;
      if (text[pos - 1] != ',') fail();
    }
    out += ']';
  }
};

}  // namespace

void append_array(std::string& out, const DebeziumType& array_type, std::string_view text,
                  std::string_view column) {
  const DebeziumType element = debezium_type(array_type.element_oid, array_type.element_name);
  if (!text.empty() && text.front() == '[') {  // "[0:1]={...}": bounds other than 1..n
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) malformed(column, "array", text);
    text.remove_prefix(equals + 1);
  }
  ArrayReader reader{text, column, element, out};
  reader.dimension();
  if (reader.pos != text.size()) malformed(column, "array", text);
}

void append_hstore(std::string& out, std::string_view text, std::string_view column) {
  std::string object = "{";
  size_t pos = 0;
  auto skip_spaces = [&] {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  };
  for (bool first = true;; first = false) {
    skip_spaces();
    if (pos == text.size()) break;
    if (!first) {
      if (text[pos] != ',') malformed(column, "hstore", text);
      ++pos;
      skip_spaces();
    }
    if (pos == text.size() || text[pos] != '"') malformed(column, "hstore", text);
    auto key = read_quoted(text, pos);
    if (!key || text.substr(pos, 2) != "=>") malformed(column, "hstore", text);
    pos += 2;
    if (!first) object += ',';
    append_json_string(object, *key);
    object += ':';
    if (text.substr(pos, 4) == "NULL") {
      pos += 4;
      object += "null";
      continue;
    }
    if (pos == text.size() || text[pos] != '"') malformed(column, "hstore", text);
    auto value = read_quoted(text, pos);
    if (!value) malformed(column, "hstore", text);
    append_json_string(object, *value);
  }
  object += '}';
  append_json_string(out, object);
}

void append_point(std::string& out, std::string_view text, std::string_view column) {
  const size_t comma = text.find(',');
  if (text.size() < 5 || text.front() != '(' || text.back() != ')' ||
      comma == std::string_view::npos) {
    malformed(column, "point", text);
  }
  const std::string_view x_text = text.substr(1, comma - 1);
  const std::string_view y_text = text.substr(comma + 1, text.size() - comma - 2);
  double coordinates[2] = {0, 0};
  const std::string_view parts[2] = {x_text, y_text};
  for (int i = 0; i < 2; ++i) {
    const auto [end, error] =
        std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), coordinates[i]);
    if (error != std::errc() || end != parts[i].data() + parts[i].size() ||
        !is_json_number(parts[i])) {
      malformed(column, "point", text);
    }
  }
  // WKB: byte order 1 (little-endian), geometry type 1 (point), x, y as IEEE doubles.
  char wkb[21] = {1, 1, 0, 0, 0};
  for (int i = 0; i < 2; ++i) {
    const auto bits = std::bit_cast<uint64_t>(coordinates[i]);
    for (int b = 0; b < 8; ++b) wkb[5 + 8 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  out += "{\"x\":";
  out += x_text;
  out += ",\"y\":";
  out += y_text;
  out += ",\"wkb\":\"";
  append_base64(out, std::string_view(wkb, sizeof wkb));
  out += "\",\"srid\":null}";
}

}  // namespace sabot::output
