// Errors that carry their facts (issue 11, point 6), against a real server: the SQLSTATE of
// connection failures, and user code (a sink, the log callback) that throws.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "json_events.hpp"
#include "local_postgres.hpp"
#include "sabot/admin.hpp"
#include "sabot/sabot.hpp"

using namespace sabot::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The error that opening a connector with `dsn` fails with.
sabot::CdcError open_error(const std::string& dsn) {
  sabot::PostgresCdcConfig config;
  config.dsn = dsn;
  config.slot_name = "any_slot";
  config.reconnect.enabled = false;
  try {
    sabot::PostgresCdcConnector connector(config);
    connector.open();
  } catch (const sabot::CdcError& e) {
    return e;
  }
  return sabot::CdcError(sabot::ErrorKind::Internal, "open() did not fail");
}

// A sink whose write() throws what `fail` throws; remembers the first batch it was given.
template <typename Fail>
class FailingSink : public sabot::Sink {
 public:
  explicit FailingSink(Fail fail) : fail_(fail) {}
  void write(const sabot::ChangeBatch& batch) override {
    first_commit_lsn = batch.commit_lsn;
    ++writes;
    fail_();
  }
  sabot::Lsn first_commit_lsn;
  int writes = 0;

 private:
  Fail fail_;
};

sabot::PostgresCdcConfig config_for(const LocalPostgres& pg, const std::string& slot) {
  sabot::PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = slot;
  config.end_lsn = pg.current_wal_insert_lsn();
  return config;
}

// run_sink with a sink that fails: returns the error, after checking nothing was acknowledged
// (a new connector gets the same transaction again).
template <typename Fail>
sabot::CdcError run_failing_sink(const LocalPostgres& pg, const std::string& slot, Fail fail) {
  const sabot::PostgresCdcConfig config = config_for(pg, slot);
  FailingSink<Fail> sink(fail);
  sabot::CdcError error(sabot::ErrorKind::Internal, "run_sink did not fail");
  {
    sabot::PostgresCdcConnector connector(config);
    try {
      sabot::run_sink(connector, sink);
    } catch (const sabot::CdcError& e) {
      error = e;
    }
  }
  EXPECT_EQ(sink.writes, 1);
  sabot::PostgresCdcConnector again(config);
  auto batch = again.next_batch();
  EXPECT_TRUE(batch.has_value());
  if (batch) {
    EXPECT_EQ(batch->commit_lsn, sink.first_commit_lsn);  // not acknowledged: it comes again
  }
  return error;
}

}  // namespace

TEST(Errors, WrongPasswordCarriesSqlstate28P01) {
  const sabot::CdcError e = open_error(LocalPostgres::shared().tcp_dsn("sabot", "wrong"));
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Authentication) << e.what();
  EXPECT_EQ(e.sqlstate(), "28P01") << e.what();  // invalid_password
  EXPECT_TRUE(contains(e.what(), "password authentication failed")) << e.what();
  EXPECT_FALSE(contains(e.what(), "28P01")) << e.what();  // the text reads as libpq's default
  EXPECT_FALSE(contains(e.what(), "LOCATION")) << e.what();
}

TEST(Errors, MissingDatabaseCarriesSqlstate3D000) {
  LocalPostgres& pg = LocalPostgres::shared();
  const sabot::CdcError e = open_error(pg.dsn() + " dbname=sabot_no_such_db");
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Config) << e.what();
  EXPECT_EQ(e.sqlstate(), "3D000") << e.what();  // invalid_catalog_name
  EXPECT_TRUE(contains(e.what(), "\"sabot_no_such_db\" does not exist")) << e.what();
  EXPECT_TRUE(contains(e.what(), "Check the user and database names")) << e.what();
}

TEST(Errors, UnknownRoleCarriesSqlstate28000) {
  LocalPostgres& pg = LocalPostgres::shared();
  const sabot::CdcError e = open_error(pg.dsn() + " user=sabot_no_such_role");
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Authentication) << e.what();
  EXPECT_EQ(e.sqlstate(), "28000") << e.what();  // invalid_authorization_specification
  EXPECT_TRUE(contains(e.what(), "Check the user and database names")) << e.what();
}

TEST(Errors, RoleWithoutReplicationCarriesSqlstate42501) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE ROLE sabot_no_repl LOGIN");
  const sabot::CdcError e = open_error(pg.dsn() + " user=sabot_no_repl");
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Authentication) << e.what();
  EXPECT_EQ(e.sqlstate(), "42501") << e.what();  // insufficient_privilege
  EXPECT_TRUE(contains(e.what(), "ALTER ROLE name REPLICATION")) << e.what();
}

TEST(Errors, NoServerIsRetryableWithoutSqlstate) {
  const sabot::CdcError e =
      open_error("host=127.0.0.1 port=1 user=sabot dbname=sabot connect_timeout=3");
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Connection) << e.what();
  EXPECT_TRUE(e.retryable());
  EXPECT_EQ(e.sqlstate(), "");  // libpq's own failure: the server said nothing
}

TEST(Errors, MissingPluginLibraryCarriesSqlstate58P01) {
  // An empty dynamic_library_path hides wal2json.so from this server, as if never installed.
  LocalPostgres no_plugins({"dynamic_library_path = '/nonexistent-sabot-libdir'"});
  sabot::PostgresCdcConfig config;
  config.dsn = no_plugins.dsn();
  sabot::PostgresAdmin admin(config);
  try {
    admin.ensure_slot("plugin_slot", sabot::Plugin::Wal2json);
    ADD_FAILURE() << "created a wal2json slot without wal2json";
  } catch (const sabot::CdcError& e) {
    EXPECT_EQ(e.kind(), sabot::ErrorKind::MissingPlugin) << e.what();
    EXPECT_EQ(e.sqlstate(), "58P01") << e.what();  // undefined_file
    EXPECT_TRUE(contains(e.what(), "not installed")) << e.what();
  }
}

TEST(Errors, SinkThrowingStdExceptionIsAConsumerErrorNamingIt) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE sink_throw_t (id int PRIMARY KEY)");
  create_slot(pg, "sink_throw_slot");
  pg.sql("INSERT INTO sink_throw_t VALUES (1)");
  const sabot::CdcError e = run_failing_sink(pg, "sink_throw_slot", [] {
    throw std::runtime_error("the disk of the sink is on fire");
  });
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Consumer) << e.what();
  EXPECT_TRUE(contains(e.what(), "the sink's write() failed: the disk of the sink is on fire"))
      << e.what();
  ASSERT_TRUE(e.lsn().has_value()) << e.what();
  EXPECT_TRUE(contains(e.what(), "commit_lsn " + e.lsn()->to_string() + " seq 0")) << e.what();
  EXPECT_FALSE(e.retryable());
}

TEST(Errors, SinkThrowingANonExceptionIsAConsumerErrorToo) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE sink_int_t (id int PRIMARY KEY)");
  create_slot(pg, "sink_int_slot");
  pg.sql("INSERT INTO sink_int_t VALUES (1)");
  const sabot::CdcError e = run_failing_sink(pg, "sink_int_slot", [] { throw 42; });
  EXPECT_EQ(e.kind(), sabot::ErrorKind::Consumer) << e.what();
  EXPECT_TRUE(contains(e.what(), "the sink's write() failed: an unknown exception")) << e.what();
}

TEST(Errors, SinkThrowingACdcErrorKeepsItsKind) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE sink_cdc_t (id int PRIMARY KEY)");
  create_slot(pg, "sink_cdc_slot");
  pg.sql("INSERT INTO sink_cdc_t VALUES (1)");
  const sabot::CdcError e = run_failing_sink(pg, "sink_cdc_slot", [] {
    throw sabot::CdcError(sabot::ErrorKind::LocalIo, "sink's own words");
  });
  EXPECT_EQ(e.kind(), sabot::ErrorKind::LocalIo);
  // Its words, with the sink's name and where the batch starts added.
  EXPECT_TRUE(contains(e.what(), "the sink's write() failed: sink's own words")) << e.what();
  EXPECT_TRUE(contains(e.what(), "sink: a user-defined sink")) << e.what();
  ASSERT_TRUE(e.lsn().has_value()) << e.what();
  EXPECT_TRUE(contains(e.what(), "commit_lsn " + e.lsn()->to_string() + " seq 0")) << e.what();
}

TEST(Errors, ThrowingLogCallbackDoesNotStopTheStream) {
  LocalPostgres& pg = LocalPostgres::shared();
  pg.sql("CREATE TABLE log_throw_t (id int PRIMARY KEY)");
  create_slot(pg, "log_throw_slot");
  pg.sql("INSERT INTO log_throw_t VALUES (1)");
  sabot::PostgresCdcConfig config;
  config.dsn = pg.dsn();
  config.slot_name = "log_throw_slot";
  config.reconnect.initial_delay = std::chrono::milliseconds(10);
  std::vector<std::string> logged;
  config.log = [&logged](std::string_view message) {
    logged.emplace_back(message);
    throw std::runtime_error("the log is broken");
  };
  sabot::PostgresCdcConnector connector(config);
  auto first = connector.next_batch();
  ASSERT_TRUE(first.has_value());
  connector.acknowledge(*first);
  // The walsender goes away (57P01 admin_shutdown): the reconnect logs, and the log throws.
  pg.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
         "WHERE slot_name = 'log_throw_slot'");
  pg.sql("INSERT INTO log_throw_t VALUES (2)");
  auto second = connector.next_batch();
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->events.size(), 1u);
  EXPECT_EQ(second->events[0].column("id")->value.as_int64(), 2);
  ASSERT_FALSE(logged.empty());
  EXPECT_TRUE(contains(logged.front(), "reconnecting")) << logged.front();
}
