// Checked conversions of server replies: a value that is not what the query promises is a
// CdcError{Server} naming the query and the value, never another exception or a silent 0.
#include "pg/reply_values.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sabot/error.hpp"

using sabot::CdcError;
using sabot::ErrorKind;
namespace pg = sabot::pg;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(ReplyValues, BadIntegerNamesTheQueryAndTheValue) {
  try {
    pg::reply_int("12x", "SELECT current_setting('max_wal_senders')");
    ADD_FAILURE() << "accepted '12x'";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Server);
    EXPECT_TRUE(contains(e.what(), "SELECT current_setting('max_wal_senders')")) << e.what();
    EXPECT_TRUE(contains(e.what(), "'12x'")) << e.what();
  }
}

TEST(ReplyValues, EmptyAndOutOfRangeAreErrorsNotZero) {
  EXPECT_THROW(pg::reply_int("", "q"), CdcError);
  EXPECT_THROW(pg::reply_int("99999999999999999999", "q"), CdcError);
  EXPECT_THROW(pg::reply_int32("4294967296", "IDENTIFY_SYSTEM (timeline)"), CdcError);
  EXPECT_THROW(pg::reply_double("1.5 s", "q"), CdcError);
  EXPECT_EQ(pg::reply_int32("-7", "q"), -7);
  EXPECT_EQ(pg::reply_int("9000000000", "q"), 9000000000);
  EXPECT_DOUBLE_EQ(pg::reply_double("0.25", "q"), 0.25);
}

TEST(ReplyValues, Int32OverflowNamesTheQueryAndTheValue) {
  try {
    pg::reply_int32("4294967296", "IDENTIFY_SYSTEM (timeline)");
    ADD_FAILURE() << "accepted a value over 32 bits";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Server);
    EXPECT_TRUE(contains(e.what(), "IDENTIFY_SYSTEM (timeline)")) << e.what();
    EXPECT_TRUE(contains(e.what(), "4294967296")) << e.what();
  }
}
