// `sabot-cdc check` against real clusters: a healthy database passes; each misconfiguration —
// server settings, role, tables, publication, slots — is named with its fix, and the exit code
// is 0 / 1 / 2 for ok / warnings / errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "local_postgres.hpp"

using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::sql_on;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Check, HealthyDatabaseHasNoErrors) {
  const std::string dsn = LocalPostgres::shared().fresh_database("check_ok");
  sql_on(dsn, "CREATE TABLE public.orders (id int PRIMARY KEY)");
  ASSERT_EQ(
      run_cli({"init", "--dsn", dsn, "--slot", "check_ok_slot", "--publication", "check_ok_pub"})
          .exit_code,
      0);
  const auto r =
      run_cli({"check", "--dsn", dsn, "--slot", "check_ok_slot", "--publication", "check_ok_pub"});
  // The shared cluster keeps WAL without limit and other tests leave slots: warnings at most.
  EXPECT_LE(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "ok      wal_level")) << r.out;
  EXPECT_TRUE(has(r.out, "ok      slot")) << r.out;
  EXPECT_TRUE(has(r.out, "ok      publication")) << r.out;
  EXPECT_FALSE(has(r.out, "error ")) << r.out;
  sql_on(dsn, "SELECT pg_drop_replication_slot('check_ok_slot')");
}

TEST(Check, TablesPublicationAndSlotProblemsNameTheFix) {
  const std::string dsn = LocalPostgres::shared().fresh_database("check_tables");
  sql_on(dsn,
         "CREATE TABLE public.keyed (id int PRIMARY KEY);"
         "CREATE TABLE public.nokey (v text);"
         "CREATE TABLE public.wide (id int PRIMARY KEY); ALTER TABLE public.wide REPLICA "
         "IDENTITY FULL;"
         "CREATE PUBLICATION check_tables_pub FOR TABLE public.keyed");
  const auto r = run_cli({"check", "--dsn", dsn, "--slot", "check_tables_slot", "--publication",
                          "check_tables_pub", "--json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "\"result\":\"error\"")) << r.out;
  EXPECT_TRUE(has(r.out, "ALTER TABLE \\\"public\\\".\\\"nokey\\\" REPLICA IDENTITY FULL;"))
      << r.out;
  EXPECT_TRUE(has(r.out, "\"check\":\"replica_identity\",\"level\":\"warning\"")) << r.out;
  EXPECT_TRUE(has(r.out, "ALTER PUBLICATION \\\"check_tables_pub\\\" ADD TABLE")) << r.out;
  EXPECT_TRUE(has(r.out, "\\\"public\\\".\\\"wide\\\"")) << r.out;
  // No slot yet: a warning naming init.
  EXPECT_TRUE(has(r.out, "sabot-cdc init --slot check_tables_slot")) << r.out;
}

// Publication membership against --tables, both ways: a captured table missing from the
// publication is an error (ADD TABLE), a published table the filter leaves out a warning (its
// changes are decoded and dropped: DROP TABLE, or widen --tables).
TEST(Check, PublicationMembershipAgainstTheTableFilterBothWays) {
  const std::string dsn = LocalPostgres::shared().fresh_database("check_membership");
  sql_on(dsn,
         "CREATE TABLE public.orders (id int PRIMARY KEY);"
         "CREATE TABLE public.users (id int PRIMARY KEY);"
         "CREATE TABLE public.audit (id int PRIMARY KEY);"
         "CREATE PUBLICATION check_member_pub FOR TABLE public.orders, public.audit;"
         "CREATE PUBLICATION check_member_all FOR ALL TABLES");
  const std::vector<std::string> base = {"check",
                                         "--dsn",
                                         dsn,
                                         "--slot",
                                         "check_member_slot",
                                         "--tables",
                                         "public.orders,public.users"};
  auto with = [&](const std::string& publication) {
    auto args = base;
    args.insert(args.end(), {"--publication", publication});
    return run_cli(args);
  };
  const auto r = with("check_member_pub");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "error   publication")) << r.out;
  EXPECT_TRUE(has(r.out, "ALTER PUBLICATION \"check_member_pub\" ADD TABLE \"public\".\"users\";"))
      << r.out;
  EXPECT_TRUE(has(r.out, "warning publication_extra")) << r.out;
  EXPECT_TRUE(has(r.out, "leaves out: \"public\".\"audit\" (their changes are decoded")) << r.out;
  EXPECT_TRUE(has(r.out, "ALTER PUBLICATION \"check_member_pub\" DROP TABLE \"public\".\"audit\";"))
      << r.out;

  const auto all = with("check_member_all");
  EXPECT_TRUE(has(all.out, "warning publication_extra")) << all.out;
  EXPECT_TRUE(has(all.out, "\"public\".\"audit\"")) << all.out;
  EXPECT_TRUE(has(all.out, "widen --tables")) << all.out;
  EXPECT_FALSE(has(all.out, "error   publication")) << all.out;

  // Every table captured: nothing published is left out.
  auto args = base;
  args.back() = "public.*";
  args.insert(args.end(), {"--publication", "check_member_all"});
  const auto every = run_cli(args);
  EXPECT_FALSE(has(every.out, "publication_extra")) << every.out;
  EXPECT_TRUE(has(every.out, "ok      publication")) << every.out;
}

TEST(Check, InactiveSlotsRetainingWalAreWarnings) {
  const std::string dsn = LocalPostgres::shared().fresh_database("check_inactive");
  sql_on(dsn, "CREATE TABLE public.t (id int PRIMARY KEY)");
  sql_on(dsn, "SELECT pg_create_logical_replication_slot('check_forgotten', 'pgoutput')");
  sql_on(dsn, "INSERT INTO public.t SELECT generate_series(1, 1000)");
  const auto r = run_cli({"check", "--dsn", dsn, "--plugin", "wal2json", "--slot", "check_other"});
  EXPECT_GE(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "slot \"check_forgotten\" is inactive and retains")) << r.out;
  EXPECT_TRUE(has(r.out, "sabot-cdc slots drop check_forgotten")) << r.out;
  EXPECT_TRUE(has(r.out, "ok      plugin")) << r.out;  // wal2json is installed here
  sql_on(dsn, "SELECT pg_drop_replication_slot('check_forgotten')");
}

TEST(Check, RoleWithoutReplicationOrSelect) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("check_role");
  sql_on(dsn,
         "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'check_plain') THEN "
         "CREATE ROLE check_plain LOGIN PASSWORD 'Secr3t-check'; END IF; END $$;"
         "CREATE TABLE public.hidden (id int PRIMARY KEY)");
  std::string user_dsn = pg.tcp_dsn("check_plain", "Secr3t-check");
  user_dsn.replace(user_dsn.find("dbname=sabot"), 12, "dbname=check_role");
  const auto r = run_cli({"check", "--dsn", user_dsn, "--tables", "public.hidden"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "ALTER ROLE \"check_plain\" REPLICATION;")) << r.out;
  EXPECT_TRUE(has(r.out, "GRANT SELECT ON \"public\".\"hidden\"")) << r.out;
  EXPECT_FALSE(has(r.out + r.err, "Secr3t-check"));
}

TEST(Check, MisconfiguredServerSettings) {
  LocalPostgres pg({"wal_level = replica", "max_replication_slots = 0", "max_wal_senders = 0",
                    "wal_sender_timeout = 0", "max_slot_wal_keep_size = -1"});
  const auto r = run_cli({"check", "--dsn", pg.dsn()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "error   wal_level")) << r.out;
  EXPECT_TRUE(has(r.out, "ALTER SYSTEM SET wal_level = logical")) << r.out;
  EXPECT_TRUE(has(r.out, "error   max_replication_slots")) << r.out;
  EXPECT_TRUE(has(r.out, "error   max_wal_senders")) << r.out;
  EXPECT_TRUE(has(r.out, "warning wal_sender_timeout")) << r.out;
  EXPECT_TRUE(has(r.out, "warning max_slot_wal_keep_size")) << r.out;
}

TEST(Check, UnreachableServerIsAnError) {
  const auto r = run_cli({"check", "--dsn", "host=127.0.0.1 port=1 connect_timeout=2"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "sabot-cdc: error:")) << r.err;
}
