// The public admin API (sabot/admin.hpp) against a real server: what `init`, `slots` and `status`
// do, from a program that links only the public library.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "local_postgres.hpp"
#include "sabot/admin.hpp"
#include "sabot/connector.hpp"
#include "sabot/error.hpp"

using namespace sabot;
using sabot::test::LocalPostgres;
using sabot::test::sql_on;

namespace {

PostgresCdcConfig config_for(const std::string& dsn) {
  PostgresCdcConfig config;
  config.dsn = dsn;
  return config;
}

ErrorKind kind_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const CdcError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no CdcError";
  return ErrorKind::Internal;
}

}  // namespace

TEST(AdminApi, InitSetsUpEverythingAndIsIdempotent) {
  const std::string dsn = LocalPostgres::shared().fresh_database("admin_init");
  sql_on(dsn, "CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.other (id int)");
  PostgresAdmin admin(config_for(dsn));
  InitOptions options;
  options.slot = "admin_init_slot";
  options.publication = "admin_init_pub";
  options.tables = {"public.orders"};

  const InitReport first = admin.init(options);
  EXPECT_EQ(first.publication, PublicationAction::Created);
  EXPECT_EQ(first.ddl_capture.outcome, DdlCaptureOutcome::Installed);
  EXPECT_TRUE(first.slot_created);
  EXPECT_EQ(admin.ddl_capture_state(), DdlCaptureState::Current);
  EXPECT_EQ(sql_on(dsn, "SELECT string_agg(tablename, ',') FROM pg_publication_tables "
                        "WHERE pubname = 'admin_init_pub'"),
            "orders");

  const InitReport again = admin.init(options);
  EXPECT_EQ(again.publication, PublicationAction::Exists);
  EXPECT_EQ(again.ddl_capture.outcome, DdlCaptureOutcome::AlreadyInstalled);
  EXPECT_FALSE(again.slot_created);

  // A newly matching table joins the publication on the next init.
  options.tables = {"public.*"};
  EXPECT_EQ(admin.init(options).publication, PublicationAction::Altered);

  admin.drop_slot("admin_init_slot");
  EXPECT_FALSE(admin.find_slot("admin_init_slot").has_value());
  EXPECT_TRUE(admin.uninstall_ddl_capture());
  EXPECT_EQ(admin.ddl_capture_state(), DdlCaptureState::Absent);
}

TEST(AdminApi, InitValidatesBeforeChangingAnything) {
  const std::string dsn = LocalPostgres::shared().fresh_database("admin_validate");
  PostgresAdmin admin(config_for(dsn));
  InitOptions bad_slot;
  bad_slot.slot = "Not-A-Slot";
  bad_slot.publication = "admin_validate_pub";
  EXPECT_EQ(kind_of([&] { admin.init(bad_slot); }), ErrorKind::Config);
  EXPECT_FALSE(admin.publication_exists("admin_validate_pub"));
}

TEST(AdminApi, SlotStatusReportsTheActiveStreamAndDropRefusesIt) {
  const std::string dsn = LocalPostgres::shared().fresh_database("admin_status");
  sql_on(dsn, "CREATE TABLE public.t (id int PRIMARY KEY)");
  PostgresAdmin admin(config_for(dsn));
  InitOptions options;
  options.slot = "admin_status_slot";
  options.publication = "admin_status_pub";
  options.install_ddl_capture = false;
  EXPECT_EQ(admin.init(options).ddl_capture.outcome, DdlCaptureOutcome::Skipped);

  PostgresCdcConfig stream_config = config_for(dsn);
  stream_config.slot_name = "admin_status_slot";
  stream_config.publication_name = "admin_status_pub";
  PostgresCdcConnector connector(stream_config);
  connector.open();

  const std::vector<SlotStatus> rows = admin.slot_status("admin_status_slot");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].slot.name, "admin_status_slot");
  EXPECT_EQ(rows[0].slot.plugin, "pgoutput");
  EXPECT_EQ(rows[0].slot.database, admin.current_database());
  EXPECT_TRUE(rows[0].slot.active);
  EXPECT_TRUE(rows[0].slot.active_pid.has_value());
  EXPECT_TRUE(rows[0].slot.confirmed_flush_lsn.has_value());
  EXPECT_TRUE(rows[0].flush_lag_seconds.has_value());
  EXPECT_EQ(kind_of([&] { admin.drop_slot("admin_status_slot"); }), ErrorKind::SlotInUse);

  connector.close();
  EXPECT_EQ(kind_of([&] { admin.slot_status("no_such_slot"); }), ErrorKind::SlotMissing);
  const auto listed = admin.list_slots();
  EXPECT_TRUE(std::any_of(listed.begin(), listed.end(),
                          [](const SlotInfo& s) { return s.name == "admin_status_slot"; }));
}
