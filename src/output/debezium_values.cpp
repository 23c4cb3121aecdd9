#include "output/debezium_values.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/pg_text.hpp"
#include "output/debezium_composites.hpp"
#include "output/jsonl_writer.hpp"
#include "sabot/error.hpp"

namespace sabot::output {

namespace {

// Debezium's stand-ins for PostgreSQL's infinite timestamps (the JDBC driver's, in µs) and dates
// (its int32 epoch days wrap to the int limits).
constexpr int64_t kTimestampPositiveInfinity = 9223372036825200000;
constexpr int64_t kTimestampNegativeInfinity = -9223372036832400000;
constexpr int64_t kDatePositiveInfinity = 2147483647;
constexpr int64_t kDateNegativeInfinity = -2147483648;

[[noreturn]] void cannot_render(std::string_view column, std::string_view what,
                                std::string_view text) {
  throw CdcError(ErrorKind::ValueConversion,
                 fmt::format("column {}: cannot render '{}' as Debezium's {}; the connection's "
                             "DateStyle/IntervalStyle should be ISO/postgres. Use --format sabot "
                             "to stream the text form",
                             column, text, what));
}

void append_int(std::string& out, int64_t value) {
  out += std::to_string(value);
}

int64_t floor_div(int64_t value, int64_t divisor) {
  const int64_t q = value / divisor;
  return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? q - 1 : q;
}

void append_boolean(std::string& out, std::string_view text, std::string_view column) {
  if (text == "t" || text == "true" || text == "1") {
    out += "true";
  } else if (text == "f" || text == "false" || text == "0") {
    out += "false";
  } else {
    cannot_render(column, "boolean", text);
  }
}

void append_number(std::string& out, std::string_view text, std::string_view column,
                   bool is_float) {
  if (is_json_number(text)) {
    out += text;
  } else if (is_float && (text == "NaN" || text == "Infinity" || text == "-Infinity")) {
    append_json_string(out, text);  // as Jackson writes a non-finite double
  } else {
    cannot_render(column, is_float ? "float" : "integer", text);
  }
}

void append_decimal(std::string& out, std::string_view text) {
  if (text == "NaN") {
    out += "\"NAN\"";
  } else if (text == "Infinity") {
    out += "\"POSITIVE_INFINITY\"";
  } else if (text == "-Infinity") {
    out += "\"NEGATIVE_INFINITY\"";
  } else {
    append_json_string(out, text);
  }
}

// "$1,234.56", "-$0.50", "($7.00)" → "1234.56", "-0.50", "-7.00": the amount without the
// locale's currency symbol and grouping.
void append_money(std::string& out, std::string_view text, std::string_view column) {
  std::string amount;
  for (char c : text) {
    if ((c >= '0' && c <= '9') || c == '.') amount += c;
  }
  if (amount.empty()) cannot_render(column, "money", text);
  const bool negative = text.find('-') != std::string_view::npos || text.starts_with('(');
  out += '"';
  if (negative) out += '-';
  out += amount;
  out += '"';
}

void append_bits(std::string& out, std::string_view text, std::string_view column) {
  // Bit i of the value is the i-th character from the right; bytes little-endian, as many as
  // the highest set bit needs (Debezium's BitSet.toByteArray()).
  std::string bytes;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[text.size() - 1 - i];
    if (c != '0' && c != '1') cannot_render(column, "bits", text);
    if (c == '1') {
      if (bytes.size() <= i / 8) bytes.resize(i / 8 + 1, '\0');
      bytes[i / 8] = static_cast<char>(static_cast<unsigned char>(bytes[i / 8]) | (1u << (i % 8)));
    }
  }
  out += '"';
  append_base64(out, bytes);
  out += '"';
}

void append_bytes(std::string& out, std::string_view text, std::string_view column) {
  std::vector<uint8_t> bytes;
  try {
    bytes = Value::view(text).as_bytes();
  } catch (const CdcError&) {
    cannot_render(column, "bytes (bytea_output must be hex)", text);
  }
  out += '"';
  append_base64(out, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  out += '"';
}

void append_date(std::string& out, std::string_view text, std::string_view column) {
  if (text == "infinity") return append_int(out, kDatePositiveInfinity);
  if (text == "-infinity") return append_int(out, kDateNegativeInfinity);
  const auto days = base::parse_pg_date(text);
  if (!days) cannot_render(column, "date", text);
  append_int(out, *days);
}

void append_time(std::string& out, std::string_view text, int precision, std::string_view column) {
  const auto micros = base::parse_pg_time(text);
  if (!micros) cannot_render(column, "time", text);
  append_int(out, precision <= 3 ? *micros / 1000 : *micros);
}

void append_timestamp(std::string& out, std::string_view text, int precision,
                      std::string_view column) {
  int64_t micros = 0;
  if (text == "infinity") {
    micros = kTimestampPositiveInfinity;
  } else if (text == "-infinity") {
    micros = kTimestampNegativeInfinity;
  } else {
    const auto ts = base::parse_pg_timestamp(text);
    if (!ts) cannot_render(column, "timestamp", text);
    micros = ts->time_since_epoch().count();
    if (precision <= 3) micros = floor_div(micros, 1000);
  }
  append_int(out, micros);
}

// HH:MM:SS and the fraction: exactly `width` digits when width > 0, otherwise as few as the
// value needs (none when it is whole), as java.time's ISO formatters write it.
void append_clock(std::string& out, int64_t micros_of_day, int width) {
  const int64_t seconds = micros_of_day / 1'000'000;
  out += fmt::format("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  std::string fraction = fmt::format("{:06}", micros_of_day % 1'000'000);
  if (width > 0) {
    fraction.resize(static_cast<size_t>(width), '0');
  } else {
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  }
  if (!fraction.empty()) out += '.' + fraction;
}

void append_timestamptz(std::string& out, std::string_view text, int precision,
                        std::string_view column) {
  if (text == "infinity" || text == "-infinity") return append_json_string(out, text);
  const auto ts = base::parse_pg_timestamptz(text);
  if (!ts) cannot_render(column, "timestamp with time zone", text);
  using namespace std::chrono;
  const auto day = floor<days>(*ts);
  const year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  out += '"';
  // ISO 8601 as java.time writes it: 4 digits, a sign beyond them.
  if (year > 9999) {
    out += fmt::format("+{}", year);
  } else if (year < 0) {
    out += fmt::format("-{:04}", -year);
  } else {
    out += fmt::format("{:04}", year);
  }
  out += fmt::format("-{:02}-{:02}T", static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
  append_clock(out, (*ts - day).count(), precision);
  out += "Z\"";
}

void append_timetz(std::string& out, std::string_view text, std::string_view column) {
  const auto micros = base::parse_pg_timetz(text);
  if (!micros) cannot_render(column, "time with time zone", text);
  out += '"';
  append_clock(out, *micros, 0);
  out += "Z\"";
}

// Debezium's MicroDuration.durationMicros, in its double arithmetic, months of 365.25 / 12 days.
void append_interval(std::string& out, std::string_view text, std::string_view column) {
  const auto f = base::parse_pg_interval(text);
  if (!f) cannot_render(column, "interval", text);
  const double days_per_month = 365.25 / 12.0;
  const double days = static_cast<double>(f->years * 12 + f->months) * days_per_month +
                      static_cast<double>(f->days);
  const double seconds =
      ((days * 24 + static_cast<double>(f->hours)) * 60 + static_cast<double>(f->minutes)) * 60 +
      f->seconds;
  // Java's (long) cast: toward zero, saturating at the int64 limits.
  const double micros = seconds * 1e6;
  if (micros >= 9.2233720368547758e18) return append_int(out, INT64_MAX);
  if (micros <= -9.2233720368547758e18) return append_int(out, INT64_MIN);
  append_int(out, static_cast<int64_t>(micros));
}

// The placeholder in the shape of the column's type (Debezium's UnchangedToastedPlaceholder).
void append_unavailable(std::string& out, const DebeziumType& type) {
  if (type.kind == DebeziumKind::Bytes) {
    out += '"';
    append_base64(out, kDebeziumUnavailableValue);
    out += '"';
    return;
  }
  if (type.kind == DebeziumKind::Hstore) {
    std::string object = "{";
    append_json_string(object, kDebeziumUnavailableValue);
    object += ':';
    append_json_string(object, kDebeziumUnavailableValue);
    object += '}';
    return append_json_string(out, object);
  }
  if (type.kind == DebeziumKind::Array) {
    const DebeziumType element = debezium_type(type.element_oid, type.element_name);
    out += '[';
    if (element.kind == DebeziumKind::Integer) {
      // int arrays: the placeholder's bytes as numbers
      for (size_t i = 0; i < kDebeziumUnavailableValue.size(); ++i) {
        if (i > 0) out += ',';
        append_int(out, static_cast<unsigned char>(kDebeziumUnavailableValue[i]));
      }
    } else {
      append_unavailable(out, element);
    }
    out += ']';
    return;
  }
  append_json_string(out, kDebeziumUnavailableValue);
}

}  // namespace

void append_base64(std::string& out, std::string_view bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
  if (rest == 2) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
  out += kAlphabet[(n >> 18) & 63];
  out += kAlphabet[(n >> 12) & 63];
  out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
  out += '=';
}

void append_debezium_text(std::string& out, const DebeziumType& type, std::string_view text,
                          std::string_view column_name) {
  switch (type.kind) {
    case DebeziumKind::Boolean:
      return append_boolean(out, text, column_name);
    case DebeziumKind::Integer:
      return append_number(out, text, column_name, false);
    case DebeziumKind::Float:
      return append_number(out, text, column_name, true);
    case DebeziumKind::Decimal:
      return append_decimal(out, text);
    case DebeziumKind::Money:
      return append_money(out, text, column_name);
    case DebeziumKind::Text:
      return append_json_string(out, text);
    case DebeziumKind::Bytes:
      return append_bytes(out, text, column_name);
    case DebeziumKind::Bits:
      return append_bits(out, text, column_name);
    case DebeziumKind::Date:
      return append_date(out, text, column_name);
    case DebeziumKind::Time:
      return append_time(out, text, type.precision, column_name);
    case DebeziumKind::Timestamp:
      return append_timestamp(out, text, type.precision, column_name);
    case DebeziumKind::TimestampTz:
      return append_timestamptz(out, text, type.precision, column_name);
    case DebeziumKind::TimeTz:
      return append_timetz(out, text, column_name);
    case DebeziumKind::Interval:
      return append_interval(out, text, column_name);
    case DebeziumKind::Hstore:
      return append_hstore(out, text, column_name);
    case DebeziumKind::Point:
      return append_point(out, text, column_name);
    case DebeziumKind::Array:
      return append_array(out, type, text, column_name);
  }
}

void append_debezium_value(std::string& out, const Column& column) {
  const DebeziumType type = debezium_type(column.type_oid, column.type_name);
  if (column.unchanged_toast) return append_unavailable(out, type);
  const auto text = column.value.text_or_null();
  if (!text) {
    out += "null";
    return;
  }
  append_debezium_text(out, type, *text, column.name);
}

}  // namespace sabot::output
