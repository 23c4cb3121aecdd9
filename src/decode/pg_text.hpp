// Parsers for PostgreSQL text output forms that decoders need to interpret themselves (as opposed
// to column values, which stay text in sabot::Value).
#pragma once

#include <optional>
#include <string_view>

#include "sabot/change_event.hpp"

namespace sabot::decode {

// Parses a timestamptz as PostgreSQL prints it with DateStyle ISO (which is what
// timestamptz_to_str(), used by wal2json for commit times, always produces):
//
//   YYYY-MM-DD HH:MM:SS[.F{1,6}]{+|-}HH[:MM[:SS]][ BC]
//
// e.g. "2026-11-26 01:29:12.672064+00", "2026-11-26 07:05:08.3+05:30", "1883-11-18
// 12:00:00-04:56:02". The year has 4 to 6 digits (PostgreSQL's range ends in 294276 AD); " BC"
// years count back from 1 BC (astronomical year 0). Returns the instant as UTC microseconds since
// the Unix epoch, or nullopt for anything else: other DateStyles, 'infinity', out-of-range fields
// (month 13, February 30, hour 24, offset beyond 15:59:59), a fraction longer than 6 digits,
// trailing text. No allocation, no locale, no time zone database.
std::optional<Timestamp> parse_pg_timestamptz(std::string_view text);

}  // namespace sabot::decode
