// PostgreSQL's epoch: its timestamps (timestamptz on the wire, the feedback messages' clock)
// count microseconds from 2000-01-01 00:00:00 UTC, sabot's Timestamp counts them from the Unix
// epoch. One offset and the two conversions, for the decoders and the replication stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "sabot/change_event.hpp"

namespace sabot::base {

// Microseconds from the Unix epoch to the PostgreSQL epoch (Unix time 946684800).
inline constexpr int64_t kPgEpochOffsetMicros = 946'684'800'000'000;

// The Timestamp of a PostgreSQL timestamp; nullopt when it lies beyond what int64 Unix
// microseconds can hold (a corrupt message, or 'infinity', which PostgreSQL stores as INT64_MAX).
inline std::optional<Timestamp> timestamp_from_pg_micros(int64_t pg_micros) {
  int64_t unix_micros;
  if (__builtin_add_overflow(pg_micros, kPgEpochOffsetMicros, &unix_micros)) return std::nullopt;
  return Timestamp(std::chrono::microseconds(unix_micros));
}

// PostgreSQL microseconds of a Timestamp (a clock reading: never near the int64 limits).
inline int64_t pg_micros_from_timestamp(Timestamp ts) {
  return ts.time_since_epoch().count() - kPgEpochOffsetMicros;
}

}  // namespace sabot::base
