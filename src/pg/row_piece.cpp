#include "pg/row_piece.hpp"

#include <algorithm>
#include <cstring>

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

// Decodes the escape that starts after the backslash at raw[i - 1]: writes its byte at `out`
// and returns the index after it.
size_t decode_escape(std::string_view raw, size_t i, char* out) {
  const char c = raw[i];
  if (const int letter = letter_escape(c); letter >= 0) {
    *out = static_cast<char>(letter);
    return i + 1;
  }
  if (is_octal(c)) {
    int value = 0;
    size_t end = i;
    for (; end < raw.size() && end < i + 3 && is_octal(raw[end]); ++end) {
      value = value * 8 + (raw[end] - '0');
    }
    *out = static_cast<char>(value & 0xff);
    return end;
  }
  if (c == 'x' && i + 1 < raw.size() && hex_value(raw[i + 1]) >= 0) {
    int value = hex_value(raw[i + 1]);
    size_t end = i + 2;
    if (end < raw.size() && hex_value(raw[end]) >= 0) value = value * 16 + hex_value(raw[end++]);
    *out = static_cast<char>(value);
    return end;
  }
  *out = c;  // "\\" and any other character: itself
  return i + 1;
}

}  // namespace

RowPiece::RowPiece(int columns, int expected_rows, size_t expected_bytes) : columns_(columns) {
  fields_.reserve(static_cast<size_t>(std::max(expected_rows, 0)) * static_cast<size_t>(columns));
  if (expected_bytes > 0) room_for(expected_bytes);
}

char* RowPiece::room_for(size_t more) {
  if (!text_ || text_size_ + more > text_capacity_) {
    const size_t capacity = std::max({text_capacity_ * 2, text_size_ + more, size_t{4096}});
    std::unique_ptr<char[]> grown(new char[capacity]);  // not zero-filled: every byte is written
    if (text_size_ > 0) std::memcpy(grown.get(), text_.get(), text_size_);
    text_ = std::move(grown);
    text_capacity_ = capacity;
  }
  return text_.get() + text_size_;
}

void RowPiece::add_copy_row(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const size_t first_field = fields_.size();
  const size_t base = text_size_;
  // Unescaping never makes a value longer: the line's size is room enough for the row.
  char* out = room_for(line.size());
  const bool escaped = std::memchr(line.data(), '\\', line.size()) != nullptr;
  if (!escaped) std::memcpy(out, line.data(), line.size());  // every field: a view of the line
  size_t start = 0;
  while (true) {
    const void* tab = std::memchr(line.data() + start, '\t', line.size() - start);
    const size_t end = tab ? static_cast<size_t>(static_cast<const char*>(tab) - line.data())
                           : line.size();
    const std::string_view raw = line.substr(start, end - start);
    if (!escaped) {
      fields_.push_back(Field{base + start, raw.size()});
    } else if (raw == "\\N") {
      fields_.push_back(Field{static_cast<size_t>(out - text_.get()), kNull});
    } else {
      char* value_end = unescape(raw, out);
      fields_.push_back(Field{static_cast<size_t>(out - text_.get()),
                              static_cast<size_t>(value_end - out)});
      out = value_end;
    }
    if (!tab) break;
    start = end + 1;
  }
  const size_t got = fields_.size() - first_field;
  if (got != static_cast<size_t>(columns_)) {
    fields_.resize(first_field);
    throw_field_count(got);
  }
  text_size_ = escaped ? static_cast<size_t>(out - text_.get()) : base + line.size();
  ++rows_;
}

char* RowPiece::unescape(std::string_view raw, char* out) {
  size_t i = 0;
  while (i < raw.size()) {
    const void* found = std::memchr(raw.data() + i, '\\', raw.size() - i);
    const size_t backslash =
        found ? static_cast<size_t>(static_cast<const char*>(found) - raw.data()) : raw.size();
    std::memcpy(out, raw.data() + i, backslash - i);
    out += backslash - i;
    if (!found) break;
    if (backslash + 1 == raw.size()) {  // a lone backslash at the end: kept as it is
      *out++ = '\\';
      break;
    }
    i = decode_escape(raw, backslash + 1, out++);
  }
  return out;
}

void RowPiece::add_result_row(const PgResult& result, int row) {
  if (result.columns() != columns_) throw_field_count(static_cast<size_t>(result.columns()));
  for (int column = 0; column < columns_; ++column) {
    if (result.is_null(row, column)) {
      fields_.push_back(Field{text_size_, kNull});
      continue;
    }
    const std::string_view value = result.get(row, column);
    char* out = room_for(value.size());
    if (!value.empty()) std::memcpy(out, value.data(), value.size());
    fields_.push_back(Field{text_size_, value.size()});
    text_size_ += value.size();
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
