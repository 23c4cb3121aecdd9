#include "output/jsonl_writer.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstring>

namespace sabot::output {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_numeric_type(uint32_t oid) {
  return oid == type_oid::kInt2 || oid == type_oid::kInt4 || oid == type_oid::kInt8 ||
         oid == type_oid::kFloat4 || oid == type_oid::kFloat8;
}

// Decimal digits of an unsigned integer, without a temporary string.
void append_uint(std::string& out, uint64_t value) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

// Upper-case hex without leading zeros ("0" for zero), as Lsn::to_string() writes each half.
char* put_hex32(char* p, uint32_t value) {
  constexpr char kUpperHex[] = "0123456789ABCDEF";
  int shift = 28;
  while (shift > 0 && ((value >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) *p++ = kUpperHex[(value >> shift) & 0xf];
  return p;
}

// Same text as Lsn::to_string() ("16/B374D848"), written in place: this runs for every event.
void append_lsn(std::string& out, const char* key, Lsn lsn) {
  char text[2 + 8 + 1 + 8];
  char* p = text;
  *p++ = '"';
  p = put_hex32(p, static_cast<uint32_t>(lsn.value() >> 32));
  *p++ = '/';
  p = put_hex32(p, static_cast<uint32_t>(lsn.value()));
  *p++ = '"';
  out += key;
  out.append(text, static_cast<size_t>(p - text));
}

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
void append_iso8601(std::string& out, Timestamp ts) {
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

void append_columns_object(std::string& out, const std::vector<Column>& columns) {
  out += '{';
  bool first = true;
  for (const Column& c : columns) {
    if (c.unchanged_toast) continue;  // never a fake value: listed in unchanged_toast instead
    if (!first) out += ',';
    first = false;
    append_json_string(out, c.name);
    out += ':';
    append_json_value(out, c);
  }
  out += '}';
}

// schema_change: [{"name":..,"type":..,"type_oid":N,"nullable":B|null,"key":B},...] in table
// order, from table_schema (or, for a hand-made event without it, from columns and key_columns).
void append_schema_columns(std::string& out, const ChangeEvent& event) {
  out += '[';
  bool first = true;
  auto append_one = [&out, &first](std::string_view name, std::string_view type,
                                   uint32_t type_oid, std::optional<bool> nullable, bool key) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    append_json_string(out, name);
    out += ",\"type\":";
    append_json_string(out, type);
    out += ",\"type_oid\":";
    out += std::to_string(type_oid);
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

}  // namespace

namespace {

// Index of the first byte of text[from..] that JSON needs escaped ('"', '\\', below 0x20), or
// text.size(). Eight bytes per step (SWAR: a byte's high bit marks a hit); most values have none.
size_t find_escape(std::string_view text, size_t from) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    const uint64_t quote = word ^ (kOnes * '"');
    const uint64_t backslash = word ^ (kOnes * '\\');
    // (x - 0x01..) & ~x has the high bit set in bytes that were 0 (and possibly above a zero
    // byte, which is past the first hit and harmless); likewise (x - 0x20..) & ~x for x < 0x20.
    const uint64_t hits = (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                           ((word - kOnes * 0x20) & ~word)) &
                          kHighs;
    if (hits != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return i + static_cast<size_t>(std::countr_zero(hits)) / 8;
      } else {
        break;  // let the byte loop below find it
      }
    }
  }
  for (; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return text.size();
}

}  // namespace

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

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  size_t run_start = 0;
  for (size_t i = find_escape(text, 0); i < text.size(); i = find_escape(text, i + 1)) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

void append_json_value(std::string& out, const Column& column) {
  const auto& text = column.value.text_or_null();
  if (!text) {
    out += "null";
    return;
  }
  if (column.type_oid == type_oid::kBool && (*text == "t" || *text == "f")) {
    out += (*text == "t") ? "true" : "false";
    return;
  }
  if (is_numeric_type(column.type_oid) && is_json_number(*text)) {
    out += *text;
    return;
  }
  append_json_string(out, *text);  // NaN, Infinity and every other type: text form
}

void append_event_jsonl(std::string& out, const ChangeEvent& event) {
  out += "{\"op\":\"";
  out += to_string(event.op);
  out += "\",\"schema\":";
  append_json_string(out, event.schema);
  out += ",\"table\":";
  append_json_string(out, event.table);
  out += ",\"columns\":";
  if (event.op == Op::SchemaChange) {
    append_schema_columns(out, event);
  } else {
    append_columns_object(out, event.columns);
  }
  out += ",\"old\":";
  if (event.old) {
    append_columns_object(out, *event.old);
  } else {
    out += "null";
  }
  out += ",\"xid\":";
  append_uint(out, event.transaction_id);
  append_lsn(out, ",\"lsn\":", event.lsn);
  append_lsn(out, ",\"commit_lsn\":", event.commit_lsn);
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
      append_json_string(out, c.name);
    }
    out += ']';
  }
  if (event.op == Op::Message) {
    out += ",\"prefix\":";
    append_json_string(out, event.message_prefix);
    out += ",\"content\":";
    append_json_string(out, event.message_content);
    out += event.message_transactional ? ",\"transactional\":true" : ",\"transactional\":false";
  } else if (event.op == Op::Truncate) {
    out += event.truncate_cascade ? ",\"cascade\":true" : ",\"cascade\":false";
    out += event.truncate_restart_identity ? ",\"restart_identity\":true"
                                           : ",\"restart_identity\":false";
  } else if (event.op == Op::SchemaChange) {
    out += ",\"ddl\":";
    append_json_string(out, event.ddl);
    const TableSchema* schema = event.table_schema.get();
    out += ",\"identity\":";
    if (schema != nullptr && !schema->replica_identity.empty()) {
      append_json_string(out, schema->replica_identity);
    } else {
      out += "null";
    }
    out += (schema != nullptr && schema->dropped) ? ",\"dropped\":true" : ",\"dropped\":false";
  }
  out += "}\n";
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
