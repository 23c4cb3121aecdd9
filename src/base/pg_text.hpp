// Parsers for PostgreSQL text output forms that sabot interprets itself (column values otherwise
// stay text in sabot::Value): the decoders read commit times, the Debezium renderer reads dates,
// times and intervals. Every form is the one our connections ask for (DateStyle=ISO,
// TimeZone=UTC, IntervalStyle=postgres; see pg/pg_connection.cpp). Each parser returns nullopt
// for anything else: other styles, 'infinity', out-of-range fields, trailing text. No
// allocation, no locale, no time zone database.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sabot/change_event.hpp"

namespace sabot::base {

// A timestamptz:  YYYY-MM-DD HH:MM:SS[.F{1,6}]{+|-}HH[:MM[:SS]][ BC]
//
// e.g. "2026-11-26 01:29:12.672064+00", "2026-11-26 07:05:08.3+05:30", "1883-11-18
// 12:00:00-04:56:02". The year has 4 to 6 digits (PostgreSQL's range ends in 294276 AD); " BC"
// years count back from 1 BC (astronomical year 0). Returns the instant as UTC microseconds since
// the Unix epoch. A fraction longer than 6 digits, month 13, February 30, hour 24 or an offset
// beyond 15:59:59 is refused.
std::optional<Timestamp> parse_pg_timestamptz(std::string_view text);

// A timestamp without time zone, the same form without the offset; the wall-clock reading taken
// as UTC (as Debezium does: "2018-06-20 15:13:16.945104" is 1529507596945104 µs).
std::optional<Timestamp> parse_pg_timestamp(std::string_view text);

// A date: YYYY-MM-DD[ BC] → days since 1970-01-01 (negative before).
std::optional<int64_t> parse_pg_date(std::string_view text);

// A time without time zone: HH:MM:SS[.F{1,6}] → microseconds past midnight; "24:00:00" is
// 86'400'000'000 (PostgreSQL allows it).
std::optional<int64_t> parse_pg_time(std::string_view text);

// A time with time zone: HH:MM:SS[.F{1,6}]{+|-}HH[:MM[:SS]] → microseconds past midnight UTC
// (the instant shifted to UTC, wrapped into 0 .. 24h).
std::optional<int64_t> parse_pg_timetz(std::string_view text);

// An interval in IntervalStyle postgres: "[N year[s]] [N mon[s]] [N day[s]] [[+|-]HH:MM:SS[.F]]",
// each number signed, e.g. "1 year 2 mons 3 days 04:05:06.789", "-1 days +02:03:00", "00:00:00".
struct IntervalFields {
  int64_t years = 0;
  int64_t months = 0;
  int64_t days = 0;
  int64_t hours = 0;
  int64_t minutes = 0;
  double seconds = 0;  // with its fraction and the time part's sign
};
std::optional<IntervalFields> parse_pg_interval(std::string_view text);

}  // namespace sabot::base
