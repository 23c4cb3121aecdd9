// A --tables pattern that matches no table streams nothing: the stream says so at start, naming
// the pattern, and still runs (the table may be created later).
#include <gtest/gtest.h>

#include <string>

#include "local_postgres.hpp"

using namespace sabot::test;

namespace {

CommandResult stream_to_now(const std::string& dsn, const std::string& slot,
                            const std::string& tables) {
  const std::string end = query_on(dsn, "SELECT pg_current_wal_insert_lsn()")[0][0].value();
  return run_cli({"stream", "--dsn", dsn, "--slot", slot, "--create-slot", "--quiet",
                  "--tables", tables, "--end-lsn", end});
}

}  // namespace

TEST(FilterWarning, APatternMatchingNoTableIsNamedAtStart) {
  const std::string dsn = LocalPostgres::shared().fresh_database("filter_warning");
  sql_on(dsn, "CREATE TABLE public.orders (id int PRIMARY KEY);"
              "CREATE TABLE public.events (id int, at date) PARTITION BY RANGE (at);"
              "CREATE TABLE public.events_2026 PARTITION OF public.events "
              "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
  const CommandResult r =
      stream_to_now(dsn, "filter_warning_slot", "public.orders,public.nosuchtable,ordres*");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("'public.nosuchtable', 'ordres*' match no table"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("'public.orders'"), std::string::npos) << r.err;
}

TEST(FilterWarning, PatternsThatMatchSayNothing) {
  const std::string dsn = LocalPostgres::shared().fresh_database("filter_quiet");
  sql_on(dsn, "CREATE TABLE public.orders (id int PRIMARY KEY);"
              "CREATE TABLE public.events (id int, at date) PARTITION BY RANGE (at);"
              "CREATE TABLE public.events_2026 PARTITION OF public.events "
              "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
  const CommandResult r = stream_to_now(dsn, "filter_quiet_slot", "public.orders,events_2026");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("match"), std::string::npos) << r.err;
}
