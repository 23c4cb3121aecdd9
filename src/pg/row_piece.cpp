#include "pg/row_piece.hpp"

#include <fmt/format.h>

#include "sabot/error.hpp"

namespace sabot::pg {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte a backslash followed by `c` stands for, for the one-letter escapes; -1 otherwise.
int letter_escape(char c) {
  switch (c) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return -1;
  }
}

// Decodes the escape that starts after the backslash at raw[i - 1]: appends its byte to `out`
// and returns the index after it.
size_t decode_escape(std::string_view raw, size_t i, std::string& out) {
  const char c = raw[i];
  if (const int letter = letter_escape(c); letter >= 0) {
    out += static_cast<char>(letter);
    return i + 1;
  }
  if (is_octal(c)) {
    int value = 0;
    size_t end = i;
    for (; end < raw.size() && end < i + 3 && is_octal(raw[end]); ++end) {
      value = value * 8 + (raw[end] - '0');
    }
    out += static_cast<char>(value & 0xff);
    return end;
  }
  if (c == 'x' && i + 1 < raw.size() && hex_value(raw[i + 1]) >= 0) {
    int value = hex_value(raw[i + 1]);
    size_t end = i + 2;
    if (end < raw.size() && hex_value(raw[end]) >= 0) value = value * 16 + hex_value(raw[end++]);
    out += static_cast<char>(value);
    return end;
  }
  out += c;  // "\\" and any other character: itself
  return i + 1;
}

}  // namespace

RowPiece::RowPiece(int columns) : columns_(columns) {}

void RowPiece::add_copy_row(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const size_t first_field = fields_.size();
  const bool escaped = line.find('\\') != std::string_view::npos;
  const size_t base = text_.size();
  if (!escaped) text_.append(line);  // the common case: every field is a view of the line
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    const size_t end = tab == std::string_view::npos ? line.size() : tab;
    if (escaped) {
      add_escaped_field(line.substr(start, end - start));
    } else {
      fields_.push_back(Field{base + start, end - start});
    }
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  const size_t got = fields_.size() - first_field;
  if (got != static_cast<size_t>(columns_)) {
    fields_.resize(first_field);
    text_.resize(base);
    throw_field_count(got);
  }
  ++rows_;
}

void RowPiece::add_escaped_field(std::string_view raw) {
  if (raw == "\\N") {
    fields_.push_back(Field{text_.size(), kNull});
    return;
  }
  const size_t begin = text_.size();
  size_t i = 0;
  while (i < raw.size()) {
    const size_t backslash = raw.find('\\', i);
    if (backslash == std::string_view::npos) {
      text_.append(raw.substr(i));
      break;
    }
    text_.append(raw.substr(i, backslash - i));
    if (backslash + 1 == raw.size()) {  // a lone backslash at the end: kept as it is
      text_ += '\\';
      break;
    }
    i = decode_escape(raw, backslash + 1, text_);
  }
  fields_.push_back(Field{begin, text_.size() - begin});
}

void RowPiece::add_result_row(const PgResult& result, int row) {
  for (int column = 0; column < columns_; ++column) {
    if (result.is_null(row, column)) {
      fields_.push_back(Field{text_.size(), kNull});
      continue;
    }
    const std::string_view value = result.get(row, column);
    fields_.push_back(Field{text_.size(), value.size()});
    text_.append(value);
  }
  ++rows_;
}

std::optional<std::string> RowPiece::get_optional(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return std::string(get(row, column));
}

void RowPiece::throw_field_count(size_t got) const {
  throw CdcError(ErrorKind::Server,
                 fmt::format("a snapshot read returned a row of {} fields where the table has {} "
                             "columns: was the table altered during the read?",
                             got, columns_));
}

}  // namespace sabot::pg
