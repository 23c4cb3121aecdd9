#include "decode/pg_text.hpp"

#include <chrono>
#include <cstdint>

namespace sabot::decode {

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

}  // namespace

std::optional<Timestamp> parse_pg_timestamptz(std::string_view text) {
  using namespace std::chrono;
  Cursor in(text);

  int64_t year_digits = 0;
  size_t year_len = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!in.digit_run(4, 6, year_digits, year_len)) return std::nullopt;
  if (!in.consume('-') || !in.digits(2, month) || !in.consume('-') || !in.digits(2, day)) {
    return std::nullopt;
  }
  if (!in.consume(' ') || !in.digits(2, hour) || !in.consume(':') || !in.digits(2, minute) ||
      !in.consume(':') || !in.digits(2, second)) {
    return std::nullopt;
  }
  int64_t micros = 0;
  if (in.consume('.')) {
    int64_t fraction = 0;
    size_t fraction_len = 0;
    if (!in.digit_run(1, 6, fraction, fraction_len)) return std::nullopt;
    micros = fraction;
    for (size_t i = fraction_len; i < 6; ++i) micros *= 10;
  }

  // The UTC offset is mandatory: PostgreSQL always prints it for timestamptz.
  int sign = 0;
  if (in.consume('+')) {
    sign = 1;
  } else if (in.consume('-')) {
    sign = -1;
  } else {
    return std::nullopt;
  }
  int offset_hours = 0, offset_minutes = 0, offset_seconds = 0;
  if (!in.digits(2, offset_hours)) return std::nullopt;
  if (in.consume(':')) {
    if (!in.digits(2, offset_minutes)) return std::nullopt;
    if (in.consume(':') && !in.digits(2, offset_seconds)) return std::nullopt;
  }

  const bool before_christ = in.consume(" BC");
  if (!in.at_end()) return std::nullopt;

  // PostgreSQL has no year 0: 1 BC is astronomical year 0, 2 BC is -1.
  if (year_digits == 0) return std::nullopt;
  const int64_t astronomical_year = before_christ ? 1 - year_digits : year_digits;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  // PostgreSQL limits UTC offsets to 15:59:59 (TZDISP_LIMIT).
  if (offset_hours > 15 || offset_minutes > 59 || offset_seconds > 59) return std::nullopt;

  const year_month_day date{year{static_cast<int>(astronomical_year)},
                            std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;

  const auto local =
      sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + microseconds{micros};
  const auto offset = hours{offset_hours} + minutes{offset_minutes} + seconds{offset_seconds};
  // Local time = UTC + offset, so UTC = local - offset.
  return time_point_cast<microseconds>(sign > 0 ? local - offset : local + offset);
}

}  // namespace sabot::decode
