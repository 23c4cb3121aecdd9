#include "base/pg_epoch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>

namespace {

using namespace std::chrono;
using sabot::Timestamp;
using sabot::base::pg_micros_from_timestamp;
using sabot::base::timestamp_from_pg_micros;

constexpr Timestamp kPgEpoch = sys_days{year{2000} / January / 1};

TEST(PgEpoch, ZeroIsTheFirstOfJanuary2000) {
  EXPECT_EQ(timestamp_from_pg_micros(0), kPgEpoch);
  EXPECT_EQ(pg_micros_from_timestamp(kPgEpoch), 0);
  EXPECT_EQ(pg_micros_from_timestamp(Timestamp{}), -946'684'800'000'000);
}

TEST(PgEpoch, ConversionsAreInverse) {
  const Timestamp ts = kPgEpoch + days{9'460} + microseconds{123'456};
  EXPECT_EQ(pg_micros_from_timestamp(ts), 9'460LL * 86'400'000'000LL + 123'456);
  EXPECT_EQ(timestamp_from_pg_micros(pg_micros_from_timestamp(ts)), ts);
  EXPECT_EQ(timestamp_from_pg_micros(-1), kPgEpoch - microseconds{1});
}

// PostgreSQL's 'infinity' is INT64_MAX: no Unix-microsecond Timestamp holds it.
TEST(PgEpoch, OverflowIsNoTimestamp) {
  EXPECT_EQ(timestamp_from_pg_micros(std::numeric_limits<int64_t>::max()), std::nullopt);
}

}  // namespace
