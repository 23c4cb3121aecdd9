// RowPiece: a piece of a snapshot chunk — up to a few thousand rows of one table, as text values
// (what the type output functions wrote, the form stream events carry) back to back in one buffer,
// NULL kept apart. Built by a snapshot worker from the rows of a `COPY ... TO STDOUT` (text
// format, unescaped here) or of a cursor's PgResult, then handed to the stream thread.
//
// Ownership and lifetime: get() returns views into the piece's own buffer; keep the piece alive
// while they are used (read events hold it in their storage). Building is not thread-safe; once
// handed on, the piece is only read, from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/pg_connection.hpp"

namespace sabot::pg {

class RowPiece {
 public:
  // A piece of rows with `columns` columns each, with room for `expected_rows` rows and
  // `expected_bytes` bytes of values (it grows past them as needed).
  RowPiece(int columns, int expected_rows = 0, size_t expected_bytes = 0);

  // Appends one row as COPY's text format sends it: fields separated by tabs, `\N` for NULL,
  // backslash escapes (\b \f \n \r \t \v \\, octal \ooo, hex \xhh, any other character after a
  // backslash stands for itself); a trailing newline is ignored. Throws CdcError{Server} when
  // the row has another number of fields.
  void add_copy_row(std::string_view line);
  // Appends row `row` of `result`. Throws CdcError{Server}, as add_copy_row does, when the
  // result has another number of columns.
  void add_result_row(const PgResult& result, int row);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  size_t text_bytes() const { return text_size_; }
  // The memory it holds: its values' buffer and its fields.
  size_t memory_bytes() const { return text_capacity_ + fields_.capacity() * sizeof(Field); }
  bool is_null(int row, int column) const { return field(row, column).size == kNull; }
  // The value's text ("" for NULL).
  std::string_view get(int row, int column) const {
    const Field& f = field(row, column);
    return f.size == kNull ? std::string_view() : std::string_view(text_.get() + f.begin, f.size);
  }
  std::optional<std::string> get_optional(int row, int column) const;

 private:
  struct Field {
    size_t begin = 0;
    size_t size = 0;  // kNull for NULL
  };
  static constexpr size_t kNull = static_cast<size_t>(-1);

  const Field& field(int row, int column) const {
    return fields_[static_cast<size_t>(row) * static_cast<size_t>(columns_) +
                   static_cast<size_t>(column)];
  }
  // Room for `more` bytes after the values held; returns where they go.
  char* room_for(size_t more);
  // Decodes the escapes of one field into `out`; returns the end of what it wrote.
  static char* unescape(std::string_view raw, char* out);
  [[noreturn]] void throw_field_count(size_t got) const;

  int columns_;
  int rows_ = 0;
  // The values, back to back (grown by doubling, never zero-filled).
  std::unique_ptr<char[]> text_;
  size_t text_size_ = 0;
  size_t text_capacity_ = 0;
  std::vector<Field> fields_;  // rows_ × columns_, row by row
};

}  // namespace sabot::pg
