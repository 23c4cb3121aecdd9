#include "base/pg_text.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>

namespace sabot::base {

namespace {

// A cursor over the text; every read checks bounds and reports failure instead of guessing.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool peek_is(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  bool consume(char c) {
    if (!peek_is(c)) return false;
    ++pos_;
    return true;
  }

  bool consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  // Exactly `count` ASCII digits.
  bool digits(size_t count, int& out) {
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return false;
      value = value * 10 + (text_[pos_++] - '0');
    }
    out = value;
    return true;
  }

  // Between min_count and max_count digits (as many as present); `count` says how many were read.
  bool digit_run(size_t min_count, size_t max_count, int64_t& out, size_t& count) {
    int64_t value = 0;
    count = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (count == max_count) return false;
      value = value * 10 + (text_[pos_++] - '0');
      ++count;
    }
    out = value;
    return count >= min_count;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Six fraction digits at most, as microseconds: ".5" is 500000.
bool fraction_micros(Cursor& in, int64_t& micros) {
  micros = 0;
  if (!in.consume('.')) return true;
  int64_t fraction = 0;
  size_t fraction_len = 0;
  if (!in.digit_run(1, 6, fraction, fraction_len)) return false;
  micros = fraction;
  for (size_t i = fraction_len; i < 6; ++i) micros *= 10;
  return true;
}

// YYYY-MM-DD with a 4- to 6-digit year; `year_digits` is the year as printed (before " BC").
bool date_fields(Cursor& in, int64_t& year_digits, int& month, int& day) {
  size_t year_len = 0;
  return in.digit_run(4, 6, year_digits, year_len) && in.consume('-') && in.digits(2, month) &&
         in.consume('-') && in.digits(2, day);
}

// HH:MM:SS[.F] → microseconds past midnight; hour 24 only when `allow_24` and the rest is zero.
bool time_fields(Cursor& in, bool allow_24, int64_t& micros) {
  int hour = 0, minute = 0, second = 0;
  int64_t fraction = 0;
  if (!in.digits(2, hour) || !in.consume(':') || !in.digits(2, minute) || !in.consume(':') ||
      !in.digits(2, second) || !fraction_micros(in, fraction)) {
    return false;
  }
  if (minute > 59 || second > 59) return false;
  if (hour > 23 && !(allow_24 && hour == 24 && minute == 0 && second == 0 && fraction == 0)) {
    return false;
  }
  micros = ((int64_t{hour} * 60 + minute) * 60 + second) * 1'000'000 + fraction;
  return true;
}

// {+|-}HH[:MM[:SS]] → signed seconds east of UTC; PostgreSQL limits offsets to 15:59:59
// (TZDISP_LIMIT).
bool utc_offset(Cursor& in, int64_t& offset_seconds) {
  int sign = 0;
  if (in.consume('+')) {
    sign = 1;
  } else if (in.consume('-')) {
    sign = -1;
  } else {
    return false;
  }
  int hours = 0, minutes = 0, seconds = 0;
  if (!in.digits(2, hours)) return false;
  if (in.consume(':')) {
    if (!in.digits(2, minutes)) return false;
    if (in.consume(':') && !in.digits(2, seconds)) return false;
  }
  if (hours > 15 || minutes > 59 || seconds > 59) return false;
  offset_seconds = sign * ((int64_t{hours} * 60 + minutes) * 60 + seconds);
  return true;
}

// The day of a printed year (with or without " BC"); nullopt for an impossible date. PostgreSQL
// has no year 0: 1 BC is astronomical year 0, 2 BC is -1.
std::optional<std::chrono::sys_days> civil_day(int64_t year_digits, bool before_christ, int month,
                                               int day) {
  using namespace std::chrono;
  if (year_digits == 0) return std::nullopt;
  const int64_t astronomical_year = before_christ ? 1 - year_digits : year_digits;
  // Microseconds since 1970 in an int64 reach about ±292000 years; PostgreSQL's timestamps go a
  // little further (294276 AD), dates much further: those are refused, never overflowed.
  if (astronomical_year > 292000 || astronomical_year < -292000) return std::nullopt;
  const year_month_day date{year{static_cast<int>(astronomical_year)},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date};
}

// A date, a space, a time, an optional offset (required when `with_offset`), an optional " BC".
std::optional<Timestamp> parse_date_time(std::string_view text, bool with_offset) {
  using namespace std::chrono;
  Cursor in(text);
  int64_t year_digits = 0;
  int month = 0, day = 0;
  int64_t time_micros = 0;
  if (!date_fields(in, year_digits, month, day) || !in.consume(' ') ||
      !time_fields(in, false, time_micros)) {
    return std::nullopt;
  }
  int64_t offset_seconds = 0;
  if (with_offset && !utc_offset(in, offset_seconds)) return std::nullopt;
  const bool before_christ = in.consume(" BC");
  if (!in.at_end()) return std::nullopt;
  const auto date = civil_day(year_digits, before_christ, month, day);
  if (!date) return std::nullopt;
  // Local time = UTC + offset, so UTC = local - offset.
  return time_point_cast<microseconds>(*date) + microseconds{time_micros} - seconds{offset_seconds};
}

}  // namespace

std::optional<Timestamp> parse_pg_timestamptz(std::string_view text) {
  return parse_date_time(text, true);
}

std::optional<Timestamp> parse_pg_timestamp(std::string_view text) {
  return parse_date_time(text, false);
}

std::optional<int64_t> parse_pg_date(std::string_view text) {
  Cursor in(text);
  int64_t year_digits = 0;
  int month = 0, day = 0;
  if (!date_fields(in, year_digits, month, day)) return std::nullopt;
  const bool before_christ = in.consume(" BC");
  if (!in.at_end()) return std::nullopt;
  const auto date = civil_day(year_digits, before_christ, month, day);
  if (!date) return std::nullopt;
  return date->time_since_epoch().count();
}

std::optional<int64_t> parse_pg_time(std::string_view text) {
  Cursor in(text);
  int64_t micros = 0;
  if (!time_fields(in, true, micros) || !in.at_end()) return std::nullopt;
  return micros;
}

std::optional<int64_t> parse_pg_timetz(std::string_view text) {
  Cursor in(text);
  int64_t micros = 0;
  int64_t offset_seconds = 0;
  if (!time_fields(in, true, micros) || !utc_offset(in, offset_seconds) || !in.at_end()) {
    return std::nullopt;
  }
  constexpr int64_t kDay = 86'400'000'000;
  const int64_t utc = (micros - offset_seconds * 1'000'000) % kDay;
  return utc < 0 ? utc + kDay : utc;
}

namespace {

// One "N unit" item of a postgres-style interval; false if the unit is not one it prints.
bool add_interval_unit(IntervalFields& out, int64_t number, std::string_view unit) {
  if (unit == "year" || unit == "years") {
    out.years += number;
  } else if (unit == "mon" || unit == "mons") {
    out.months += number;
  } else if (unit == "day" || unit == "days") {
    out.days += number;
  } else {
    return false;
  }
  return true;
}

// [+|-]HH:MM:SS[.F] (the hours may exceed 24 and have more digits).
bool interval_time(std::string_view item, IntervalFields& out) {
  const double sign = item.front() == '-' ? -1 : 1;
  if (item.front() == '-' || item.front() == '+') item.remove_prefix(1);
  const size_t colon = item.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 10) return false;
  Cursor in(item);
  int64_t hours = 0;
  size_t hour_len = 0;
  int minutes = 0, seconds = 0;
  int64_t fraction = 0;
  if (!in.digit_run(1, colon, hours, hour_len) || !in.consume(':') || !in.digits(2, minutes) ||
      !in.consume(':') || !in.digits(2, seconds) || !fraction_micros(in, fraction) ||
      !in.at_end() || minutes > 59 || seconds > 59) {
    return false;
  }
  const auto signed_sign = static_cast<int64_t>(sign);
  out.hours = signed_sign * hours;
  out.minutes = signed_sign * minutes;
  // The seconds as one decimal ("06.789"), parsed the way a Java client parses them.
  const std::string_view seconds_text = item.substr(colon + 4);
  double whole_seconds = 0;
  const auto [end, error] = std::from_chars(
      seconds_text.data(), seconds_text.data() + seconds_text.size(), whole_seconds);
  if (error != std::errc() || end != seconds_text.data() + seconds_text.size()) return false;
  out.seconds = sign * whole_seconds;
  return true;
}

// A signed decimal integer of at most 18 digits.
bool signed_integer(std::string_view text, int64_t& out) {
  Cursor in(text);
  const bool negative = in.consume('-');
  if (!negative) in.consume('+');
  int64_t value = 0;
  size_t count = 0;
  if (!in.digit_run(1, 18, value, count) || !in.at_end()) return false;
  out = negative ? -value : value;
  return true;
}

}  // namespace

std::optional<IntervalFields> parse_pg_interval(std::string_view text) {
  IntervalFields out;
  bool any = false;
  bool time_seen = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find(' ', pos), text.size());
    const std::string_view item = text.substr(pos, end - pos);
    if (item.empty()) return std::nullopt;
    pos = end + 1;
    if (item.find(':') != std::string_view::npos) {
      if (time_seen || end != text.size()) return std::nullopt;  // the time part comes last
      if (!interval_time(item, out)) return std::nullopt;
      time_seen = any = true;
      continue;
    }
    const size_t unit_end = std::min(text.find(' ', pos), text.size());
    if (pos >= text.size()) return std::nullopt;  // a number without its unit
    int64_t number = 0;
    if (!signed_integer(item, number) ||
        !add_interval_unit(out, number, text.substr(pos, unit_end - pos))) {
      return std::nullopt;
    }
    pos = unit_end + 1;
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

}  // namespace sabot::base
