#include "output/jsonl_writer.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "output/json_text.hpp"
#include "output/name_texts.hpp"

namespace sabot::output {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_integer_type(uint32_t oid) {
  return oid == type_oid::kInt2 || oid == type_oid::kInt4 || oid == type_oid::kInt8;
}

// An integer as JSON writes it: -?(0|[1-9][0-9]*) (what is_json_number accepts without a fraction
// or exponent, checked in one short loop: it runs for every integer value).
bool is_json_integer(std::string_view t) {
  const size_t start = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (start == t.size()) return false;
  if (t[start] == '0') return t.size() == start + 1;
  for (size_t i = start; i < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  return true;
}

bool is_numeric_type(uint32_t oid) {
  return oid == type_oid::kInt2 || oid == type_oid::kInt4 || oid == type_oid::kInt8 ||
         oid == type_oid::kFloat4 || oid == type_oid::kFloat8;
}

// Decimal digits of an unsigned integer, without a temporary string.
template <typename Out>
void append_uint(Out& out, uint64_t value) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

// Upper-case hex without leading zeros ("0" for zero), as Lsn::to_string() writes each half.
char* put_hex32(char* p, uint32_t value) {
  constexpr char kUpperHex[] = "0123456789ABCDEF";
  const int digits = value == 0 ? 1 : (35 - std::countl_zero(value)) / 4;
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = kUpperHex[value & 0xf];
    value >>= 4;
  }
  return p + digits;
}

// `key`, then the LSN as Lsn::to_string() writes it ("16/B374D848") in quotes. This runs twice
// for every event, and consecutive events mostly share an LSN (the commit LSN of a transaction;
// both LSNs of a snapshot chunk's reads): so each of the two keeps the last text it wrote.
class LsnText {
 public:
  template <typename Out>
  void append(Out& out, std::string_view key, Lsn lsn) {
    if (lsn != lsn_ || length_ == 0) render(lsn);
    out += key;
    out.append(text_, length_);
  }

 private:
  void render(Lsn lsn) {
    char* p = text_;
    *p++ = '"';
    p = put_hex32(p, static_cast<uint32_t>(lsn.value() >> 32));
    *p++ = '/';
    p = put_hex32(p, static_cast<uint32_t>(lsn.value()));
    *p++ = '"';
    lsn_ = lsn;
    length_ = static_cast<size_t>(p - text_);
  }

  Lsn lsn_;
  char text_[2 + 8 + 1 + 8] = {};
  size_t length_ = 0;
};

// Writes `value` as exactly `width` decimal digits (value < 10^width).
char* put_digits(char* p, uint32_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

// The text of format_iso8601(ts) ("2026-11-26T01:29:12.672064Z") into `text` (27 bytes), without
// fmt; false for a year outside 0..9999, which format_iso8601 writes differently.
bool put_iso8601(char* text, Timestamp ts) {
  using namespace std::chrono;
  const auto day = floor<days>(ts);
  const year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return false;
  const auto micros = (ts - day).count();  // 0 .. 86'399'999'999
  const auto seconds = static_cast<uint32_t>(micros / 1'000'000);
  char* p = put_digits(text, static_cast<uint32_t>(year), 4);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, seconds / 3600, 2);
  *p++ = ':';
  p = put_digits(p, seconds / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, seconds % 60, 2);
  *p++ = '.';
  p = put_digits(p, static_cast<uint32_t>(micros % 1'000'000), 6);
  *p = 'Z';
  return true;
}

// format_iso8601(ts), remembered for the last timestamp seen: every event of a transaction
// carries the same commit_time.
template <typename Out>
void append_iso8601(Out& out, Timestamp ts) {
  constexpr size_t kLength = 27;
  thread_local Timestamp cached_ts{Timestamp::duration::min()};
  thread_local char cached_text[kLength];
  thread_local bool cached_valid = false;
  if (ts != cached_ts) {
    cached_ts = ts;
    cached_valid = put_iso8601(cached_text, ts);
  }
  if (cached_valid) {
    out.append(cached_text, kLength);
  } else {
    out += format_iso8601(ts);
  }
}

#if defined(__SSE2__)
// Bit i set when byte i of `bytes` needs escaping in JSON ('"', '\\', below 0x20).
int escape_mask16(__m128i bytes) {
  const __m128i control_max = _mm_set1_epi8(0x1f);
  // max(b, 0x1f) == 0x1f exactly when b <= 0x1f (unsigned): a control character.
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
  const __m128i quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'));
  return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
}
#endif

// The high bit of each byte of `word` that needs escaping, read as little-endian: exact up to the
// first hit (lowest byte); above it a hit may be reported falsely, which callers never look at.
uint64_t escape_hits8(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  // (x - 0x01..) & ~x has the high bit set in bytes that were 0 (and possibly above a zero
  // byte, which is past the first hit and harmless); likewise (x - 0x20..) & ~x for x < 0x20.
  return (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
          ((word - kOnes * 0x20) & ~word)) &
         kHighs;
}

// Strings up to this size reserve room for their worst case (every byte \u00XX) at once, so an
// escape needs no further check; longer ones reserve again at each escape.
constexpr size_t kReserveWorstCaseUpTo = 4096;

struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscapes;

bool needs_escape(unsigned char c) { return kEscapes.needs[c]; }

// Index of the first byte of text[from..] that JSON needs escaped ('"', '\\', below 0x20), or
// text.size(). Sixteen bytes per step with SSE2 (every x86-64 has it), then eight (SWAR), then
// one by one; most values have none.
size_t find_escape(std::string_view text, size_t from) {
  size_t i = from;
#if defined(__SSE2__)
  for (; i + 16 <= text.size(); i += 16) {
    const int mask =
        escape_mask16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i)));
    if (mask != 0) return i + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  for (; std::endian::native == std::endian::little && i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    const uint64_t hits = escape_hits8(word);
    if (hits != 0) return i + static_cast<size_t>(std::countr_zero(hits)) / 8;
  }
  for (; i < text.size(); ++i) {
    if (needs_escape(static_cast<unsigned char>(text[i]))) return i;
  }
  return text.size();
}

// The escape sequence of every byte find_escape() stops at (others: length 0), padded to 8 bytes
// so one fixed-size copy writes it.
struct EscapeSequences {
  char text[256][8] = {};
  uint8_t length[256] = {};
  constexpr EscapeSequences() {
    for (int c = 0; c < 0x20; ++c) set(c, {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]}, 6);
    set('"', {'\\', '"'}, 2);
    set('\\', {'\\', '\\'}, 2);
    set('\n', {'\\', 'n'}, 2);
    set('\r', {'\\', 'r'}, 2);
    set('\t', {'\\', 't'}, 2);
    set('\b', {'\\', 'b'}, 2);
    set('\f', {'\\', 'f'}, 2);
  }
  constexpr void set(int c, std::array<char, 6> sequence, uint8_t size) {
    for (size_t i = 0; i < sequence.size(); ++i) text[c][i] = sequence[i];
    length[c] = size;
  }
};
constexpr EscapeSequences kEscapeSequences;

// Writes the escape sequence of `c` at p (8 bytes of room needed); returns its end.
char* write_escape(char* p, unsigned char c) {
  std::memcpy(p, kEscapeSequences.text[c], 8);
  return p + kEscapeSequences.length[c];
}

constexpr size_t kLongestEscape = 6;  // \u00XX (written as 8 bytes: see write_escape)
constexpr size_t kCopyBlock = 16;     // bytes copied and checked per step

// `text` as a JSON string literal into a JsonText, in one pass: each 16-byte block is stored to
// the output as it is checked (the store may run past the text into reserved room; only what is
// checked counts), then 8-byte words, the last bytes one by one; an escape is written in place.
void put_json_string(JsonText& out, std::string_view text) {
  const char* in = text.data();
  const size_t size = text.size();
  const bool worst_case_reserved = size <= kReserveWorstCaseUpTo;
  out.reserve_more((worst_case_reserved ? size * kLongestEscape : size) + 2 + kCopyBlock);
  char* p = out.cursor();
  *p++ = '"';
  size_t i = 0;
  auto escape_at = [&](size_t at) {
    if (!worst_case_reserved) {
      out.commit(p);
      out.reserve_more(kLongestEscape + (size - at) + 2 + kCopyBlock);
      p = out.cursor();
    }
    p = write_escape(p, static_cast<unsigned char>(in[at]));
  };
#if defined(__SSE2__)
  while (i + kCopyBlock <= size) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), bytes);
    const int mask = escape_mask16(bytes);
    if (mask == 0) {
      i += kCopyBlock;
      p += kCopyBlock;
      continue;
    }
    const auto clean = static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
    p += clean;
    escape_at(i + clean);
    i += clean + 1;
  }
#endif
  while (std::endian::native == std::endian::little && i + 8 <= size) {
    uint64_t word;
    std::memcpy(&word, in + i, 8);
    std::memcpy(p, &word, 8);
    const uint64_t hits = escape_hits8(word);
    if (hits == 0) {
      i += 8;
      p += 8;
      continue;
    }
    const auto clean = static_cast<size_t>(std::countr_zero(hits)) / 8;
    p += clean;
    escape_at(i + clean);
    i += clean + 1;
  }
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (needs_escape(c)) {
      escape_at(i);
    } else {
      *p++ = static_cast<char>(c);
    }
  }
  *p++ = '"';
  out.commit(p);
}

// `text` as a JSON string literal; the runs between escapes are appended whole.
void put_json_string(std::string& out, std::string_view text) {
  size_t i = find_escape(text, 0);
  out += '"';
  size_t run_start = 0;
  for (; i < text.size(); i = find_escape(text, i + 1)) {
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    const auto c = static_cast<unsigned char>(text[i]);
    out.append(kEscapeSequences.text[c], kEscapeSequences.length[c]);
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

template <typename Out>
void put_json_value(Out& out, const Column& column) {
  const auto& text = column.value.text_or_null();
  if (!text) {
    out += "null";
    return;
  }
  if (column.type_oid == type_oid::kBool && (*text == "t" || *text == "f")) {
    out += (*text == "t") ? "true" : "false";
    return;
  }
  if (is_integer_type(column.type_oid) && is_json_integer(*text)) {
    out += *text;
    return;
  }
  if (is_numeric_type(column.type_oid) && is_json_number(*text)) {
    out += *text;
    return;
  }
  put_json_string(out, *text);  // NaN, Infinity and every other type: text form
}

// `"name":` of a column: its cached text when `names` holds it for that index, else rendered.
void put_column_name(JsonText& out, const NameTexts::Table* names, size_t index,
                     std::string_view name) {
  if (const NameTexts::ColumnName* cached = names ? names->column(index, name) : nullptr) {
    out.reserve_more(NameTexts::kTextRoom);
    char* p = out.cursor();
    std::memcpy(p, cached->text.data(), NameTexts::kTextRoom);
    out.commit(p + cached->text_size);
    return;
  }
  put_json_string(out, name);
  out += ':';
}

template <typename Out>
void append_columns_object(Out& out, const std::vector<Column>& columns,
                           const NameTexts::Table* names = nullptr) {
  out += '{';
  bool first = true;
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    if (c.unchanged_toast) continue;  // never a fake value: listed in unchanged_toast instead
    if (!first) out += ',';
    first = false;
    put_column_name(out, names, i, c.name);
    put_json_value(out, c);
  }
  out += '}';
}

// schema_change: [{"name":..,"type":..,"type_oid":N,"nullable":B|null,"key":B},...] in table
// order, from table_schema (or, for a hand-made event without it, from columns and key_columns).
template <typename Out>
void append_schema_columns(Out& out, const ChangeEvent& event) {
  out += '[';
  bool first = true;
  auto append_one = [&out, &first](std::string_view name, std::string_view type,
                                   uint32_t type_oid, std::optional<bool> nullable, bool key) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    put_json_string(out, name);
    out += ",\"type\":";
    put_json_string(out, type);
    out += ",\"type_oid\":";
    append_uint(out, type_oid);
    out += ",\"nullable\":";
    out += nullable ? (*nullable ? "true" : "false") : "null";
    out += key ? ",\"key\":true}" : ",\"key\":false}";
  };
  if (event.table_schema) {
    for (const SchemaColumn& c : event.table_schema->columns) {
      append_one(c.name, c.type_name, c.type_oid, c.nullable, c.key);
    }
  } else {
    for (const Column& c : event.columns) {
      const bool key = std::find(event.key_columns.begin(), event.key_columns.end(), c.name) !=
                       event.key_columns.end();
      append_one(c.name, c.type_name, c.type_oid, std::nullopt, key);
    }
  }
  out += ']';
}

template <typename Out>
void put_event(Out& out, const ChangeEvent& event) {
  thread_local NameTexts name_texts;
  const NameTexts::Table* names = nullptr;
  if (event.op != Op::SchemaChange && event.op != Op::Message) names = &name_texts.find(event);
  out += "{\"op\":\"";
  out += to_string(event.op);
  out += '"';
  if (names) {
    out += names->schema_and_table;
  } else {
    out += ",\"schema\":";
    put_json_string(out, event.schema);
    out += ",\"table\":";
    put_json_string(out, event.table);
  }
  out += ",\"columns\":";
  if (event.op == Op::SchemaChange) {
    append_schema_columns(out, event);
  } else {
    append_columns_object(out, event.columns, names);
  }
  out += ",\"old\":";
  if (event.old) {
    append_columns_object(out, *event.old, names);
  } else {
    out += "null";
  }
  out += ",\"xid\":";
  append_uint(out, event.transaction_id);
  thread_local LsnText lsn_text;
  thread_local LsnText commit_lsn_text;
  lsn_text.append(out, ",\"lsn\":", event.lsn);
  commit_lsn_text.append(out, ",\"commit_lsn\":", event.commit_lsn);
  out += ",\"commit_time\":\"";
  append_iso8601(out, event.commit_time);
  out += "\",\"seq\":";
  append_uint(out, event.seq);

  const bool any_unchanged = std::any_of(event.columns.begin(), event.columns.end(),
                                         [](const Column& c) { return c.unchanged_toast; });
  if (any_unchanged) {
    out += ",\"unchanged_toast\":[";
    bool first = true;
    for (const Column& c : event.columns) {
      if (!c.unchanged_toast) continue;
      if (!first) out += ',';
      first = false;
      put_json_string(out, c.name);
    }
    out += ']';
  }
  if (event.op == Op::Message) {
    out += ",\"prefix\":";
    put_json_string(out, event.message_prefix);
    out += ",\"content\":";
    put_json_string(out, event.message_content);
    out += event.message_transactional ? ",\"transactional\":true" : ",\"transactional\":false";
  } else if (event.op == Op::Truncate) {
    out += event.truncate_cascade ? ",\"cascade\":true" : ",\"cascade\":false";
    out += event.truncate_restart_identity ? ",\"restart_identity\":true"
                                           : ",\"restart_identity\":false";
  } else if (event.op == Op::SchemaChange) {
    out += ",\"ddl\":";
    put_json_string(out, event.ddl);
    const TableSchema* schema = event.table_schema.get();
    out += ",\"identity\":";
    if (schema != nullptr && !schema->replica_identity.empty()) {
      put_json_string(out, schema->replica_identity);
    } else {
      out += "null";
    }
    out += (schema != nullptr && schema->dropped) ? ",\"dropped\":true" : ",\"dropped\":false";
  }
  out += "}\n";
}

}  // namespace

const NameTexts::Table& NameTexts::find(const ChangeEvent& event) {
  const void* hint = event.storage.names ? event.storage.names.get()
                                         : static_cast<const void*>(event.schema.data());
  for (Table& table : tables_) {
    if (table.hint != hint || !table.same_table(event)) continue;
    // Filled from an event with fewer columns (a delete, a truncate): fill it from this one.
    if (table.columns.size() < event.columns.size()) fill(table, event, hint);
    return table;
  }
  Table& table = tables_[next_];
  next_ = (next_ + 1) % kTables;
  fill(table, event, hint);
  return table;
}

void NameTexts::fill(Table& table, const ChangeEvent& event, const void* hint) {
  table.hint = hint;
  table.schema = std::string(event.schema);
  table.table = std::string(event.table);
  table.schema_and_table = ",\"schema\":";
  put_json_string(table.schema_and_table, event.schema);
  table.schema_and_table += ",\"table\":";
  put_json_string(table.schema_and_table, event.table);
  table.columns.assign(event.columns.size(), ColumnName{});
  std::string text;
  for (size_t i = 0; i < event.columns.size(); ++i) {
    const std::string_view name = event.columns[i].name;
    text.clear();
    put_json_string(text, name);
    text += ':';
    if (name.size() > kMaxName || text.size() > kTextRoom) continue;  // rendered each time
    ColumnName& cached = table.columns[i];
    cached.size = static_cast<uint8_t>(name.size());
    cached.text_size = static_cast<uint8_t>(text.size());
    std::memcpy(cached.name.data(), name.data(), name.size());
    std::memcpy(cached.text.data(), text.data(), text.size());
  }
}

bool is_json_number(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
  if (t[i] == '0' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') return false;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= t.size() || !(t[i] >= '0' && t[i] <= '9')) return false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  return i == t.size();
}

void append_json_string(std::string& out, std::string_view text) { put_json_string(out, text); }

void append_json_string(JsonText& out, std::string_view text) { put_json_string(out, text); }

void append_json_value(std::string& out, const Column& column) { put_json_value(out, column); }

void append_event_jsonl(JsonText& out, const ChangeEvent& event) { put_event(out, event); }

// What a thread keeps of its line buffer between lines (more only while rendering a huge one).
constexpr size_t kKeptLineBufferBytes = size_t{1} << 20;

void append_event_jsonl(std::string& out, const ChangeEvent& event) {
  // Rendered through a buffer of this thread's, then appended whole: one copy of the line instead
  // of a capacity check per piece.
  thread_local JsonText line;
  line.clear();
  put_event(line, event);
  out += line.view();
  line.release_if_larger_than(kKeptLineBufferBytes);
}

void JsonText::grow(size_t bytes) {
  const size_t used = size();
  const size_t capacity = static_cast<size_t>(capacity_end_ - data_.get());
  const size_t wanted = std::max({capacity * 2, used + bytes, size_t{4096}});
  auto bigger = std::make_unique_for_overwrite<char[]>(wanted);
  if (used != 0) std::memcpy(bigger.get(), data_.get(), used);
  data_ = std::move(bigger);
  end_ = data_.get() + used;
  capacity_end_ = data_.get() + wanted;
}

}  // namespace sabot::output

namespace sabot {

void append_json_line(std::string& out, const ChangeEvent& event) {
  output::append_event_jsonl(out, event);
}

void append_json_string(std::string& out, std::string_view text) {
  output::append_json_string(out, text);
}

}  // namespace sabot
