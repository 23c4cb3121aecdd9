#include "pg/replication_stream.hpp"

#include <gtest/gtest.h>

TEST(StartReplication, QuotesSlotOptionNamesAndValues) {
  const std::string sql = sabot::pg::start_replication_command(
      "my_slot", *sabot::Lsn::parse("1/AB"),
      {{"format-version", "2"}, {"add-tables", "public.o'x,\"s\".t"}});
  EXPECT_EQ(sql,
            "START_REPLICATION SLOT \"my_slot\" LOGICAL 1/AB (\"format-version\" '2', "
            "\"add-tables\" 'public.o''x,\"s\".t')");
}

TEST(StartReplication, NoOptionsNoParentheses) {
  EXPECT_EQ(sabot::pg::start_replication_command("s", sabot::Lsn(), {}),
            "START_REPLICATION SLOT \"s\" LOGICAL 0/0");
}
