// NameTexts: the JSON text of the names every event of a table repeats — `,"schema":"public",
// "table":"orders"` and `"id":` before each column's value — rendered once per table and then
// written as copies.
//
// A cached text is used only for the very bytes it was made from: each name is compared with the
// cached one (short names inline, without a call), so what an event says is always what is
// written, whoever owns its strings. The table an event belongs to is found by a hint (what its
// storage.names points at, else its schema's address); a stale hint only costs a compare that
// fails and a fresh rendering.
//
// Not thread-safe: one per rendering thread. Views returned are valid until the next find().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/change_event.hpp"

namespace sabot::output {

class NameTexts {
 public:
  // The longest column name cached, and the room its text takes (`"` name `":`, escaped).
  static constexpr size_t kMaxName = 24;
  static constexpr size_t kTextRoom = 32;

  // One column name and its JSON text, padded so that one fixed-size copy writes it (64 bytes:
  // a vector of them is indexed with a shift).
  struct ColumnName {
    std::array<char, kTextRoom> text{};
    std::array<char, kMaxName> name{};
    uint8_t size = 0;       // of the name; 0 with text_size 0: not cached (too long)
    uint8_t text_size = 0;  // of `text`
    std::array<uint8_t, 6> padding{};

    bool holds(std::string_view other) const {
      return text_size != 0 && other.size() == size && same_bytes(name.data(), other.data(), size);
    }
  };
  static_assert(sizeof(ColumnName) == 64);

  struct Table {
    const void* hint = nullptr;
    std::string schema;
    std::string table;
    std::string schema_and_table;  // `,"schema":...,"table":...`
    std::vector<ColumnName> columns;

    // The cached text of column `index` if `name` is its name, else nullptr.
    const ColumnName* column(size_t index, std::string_view name) const {
      if (index >= columns.size() || !columns[index].holds(name)) return nullptr;
      return &columns[index];
    }
    bool same_table(const ChangeEvent& event) const {
      return same_text(schema, event.schema) && same_text(table, event.table);
    }
  };

  // The cache of `event`'s table (its schema and table are the event's), filled from `event`
  // when no entry has its hint and names.
  const Table& find(const ChangeEvent& event);

  // Whether `cached` == `other`: short texts compared inline, without a call.
  static bool same_text(std::string_view cached, std::string_view other) {
    if (cached.size() != other.size()) return false;
    if (cached.size() <= kMaxName) return same_bytes(cached.data(), other.data(), cached.size());
    return cached == other;
  }

  // Whether a[0..size) == b[0..size), size <= kMaxName; reads both only within their bounds.
  static bool same_bytes(const char* a, const char* b, size_t size) {
    if (size >= 8) {
      if (load8(a) != load8(b) || load8(a + size - 8) != load8(b + size - 8)) return false;
      return size <= 16 || load8(a + 8) == load8(b + 8);
    }
    if (size >= 4) return load4(a) == load4(b) && load4(a + size - 4) == load4(b + size - 4);
    for (size_t i = 0; i < size; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kTables = 4;

  static uint64_t load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint32_t load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  static void fill(Table& table, const ChangeEvent& event, const void* hint);

  std::array<Table, kTables> tables_{};
  size_t next_ = 0;  // the entry the next fill replaces
};

}  // namespace sabot::output
