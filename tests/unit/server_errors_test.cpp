// Server errors classified by SQLSTATE, and verbose libpq messages split into code and text.
#include <gtest/gtest.h>

#include <string>

#include "pg/pg_connection.hpp"
#include "sabot/error.hpp"

using sabot::CdcError;
using sabot::ErrorKind;
namespace pg = sabot::pg;

namespace {

CdcError server_error(const std::string& sqlstate, const std::string& message) {
  try {
    pg::throw_server_error(sqlstate, message, "doing it");
  } catch (const CdcError& e) {
    return e;
  }
  return CdcError(ErrorKind::Internal, "throw_server_error returned");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(VerboseError, SplitsTheCodeOutAndDropsLocation) {
  const pg::VerboseError e = pg::split_verbose_error(
      "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28P01: password "
      "authentication failed for user \"sabot\"\nLOCATION:  auth_failed, auth.c:334\n");
  EXPECT_EQ(e.sqlstate, "28P01");
  EXPECT_EQ(e.message,
            "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password "
            "authentication failed for user \"sabot\"");
}

TEST(VerboseError, LastAttemptsCodeWinsAndEveryCodeIsRemoved) {
  const pg::VerboseError e = pg::split_verbose_error(
      "connection to server at \"a\" failed: FATAL:  57P03: the database system is starting up\n"
      "LOCATION:  x.c:1\n"
      "connection to server at \"b\" failed: FATAL:  3D000: database \"nodb\" does not exist\n"
      "DETAIL:  kept as the default verbosity shows it\n");
  EXPECT_EQ(e.sqlstate, "3D000");
  EXPECT_EQ(e.message,
            "connection to server at \"a\" failed: FATAL:  the database system is starting up\n"
            "connection to server at \"b\" failed: FATAL:  database \"nodb\" does not exist\n"
            "DETAIL:  kept as the default verbosity shows it");
}

TEST(VerboseError, LibpqsOwnErrorHasNoCode) {
  const pg::VerboseError e = pg::split_verbose_error(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
      "server running on that host and accepting TCP/IP connections?\n");
  EXPECT_EQ(e.sqlstate, "");
  EXPECT_EQ(e.message,
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
            "server running on that host and accepting TCP/IP connections?");
}

TEST(ServerErrors, ClassifiedBySqlstateNotText) {
  struct Case {
    const char* sqlstate;
    const char* message;
    ErrorKind kind;
    const char* advice;
  };
  // Messages are deliberately unlike the server's: only the code may decide.
  const Case cases[] = {
      {"08006", "gone", ErrorKind::Connection, ""},
      {"57P01", "terminating connection due to administrator command", ErrorKind::Connection, ""},
      {"57P02", "crash", ErrorKind::Connection, ""},
      {"57P03", "the database system is starting up", ErrorKind::Connection, ""},
      {"55006", "busy", ErrorKind::SlotInUse, "Another process is streaming"},
      {"58P01", "no such library", ErrorKind::MissingPlugin, "not installed"},
      {"53400", "no room", ErrorKind::ServerSetting, "max_replication_slots"},
      {"53300", "too many", ErrorKind::ServerSetting, "max_wal_senders"},
      {"42501", "permission denied", ErrorKind::Authentication, "REPLICATION"},
      {"57P04", "database dropped", ErrorKind::Server, ""},
  };
  for (const Case& c : cases) {
    const CdcError e = server_error(c.sqlstate, c.message);
    EXPECT_EQ(e.kind(), c.kind) << c.sqlstate << ": " << e.what();
    EXPECT_EQ(e.sqlstate(), c.sqlstate);
    EXPECT_TRUE(contains(e.what(), std::string("doing it failed: ") + c.message)) << e.what();
    EXPECT_TRUE(contains(e.what(), c.advice)) << e.what();
    EXPECT_FALSE(e.lsn().has_value());
  }
}

TEST(ServerErrors, EnglishTextWithoutItsCodeIsJustAServerError) {
  // What used to be matched by text: without the SQLSTATE the text classifies nothing.
  for (const char* message : {"replication slot \"s\" is active for PID 42",
                              "could not access file \"wal2json\": No such file or directory",
                              "all replication slots are in use"}) {
    const CdcError e = server_error("XX000", message);
    EXPECT_EQ(e.kind(), ErrorKind::Server) << e.what();
    EXPECT_EQ(e.sqlstate(), "XX000");
  }
}

TEST(ServerErrors, OneCodeSeveralSituationsTextPicksTheAdvice) {
  const CdcError slot = server_error("42704", "replication slot \"s\" does not exist");
  EXPECT_EQ(slot.kind(), ErrorKind::SlotMissing);
  EXPECT_TRUE(contains(slot.what(), "--create-slot")) << slot.what();
  const CdcError publication = server_error("42704", "publication \"p\" does not exist");
  EXPECT_EQ(publication.kind(), ErrorKind::Config);
  EXPECT_TRUE(contains(publication.what(), "create the publication before the slot"));
  const CdcError other_object = server_error("42704", "type \"x\" does not exist");
  EXPECT_EQ(other_object.kind(), ErrorKind::Server);

  const CdcError wal_level = server_error("55000", "logical decoding requires wal_level >= logical");
  EXPECT_EQ(wal_level.kind(), ErrorKind::ServerSetting);
  EXPECT_TRUE(contains(wal_level.what(), "ALTER SYSTEM SET wal_level = logical"));
  const CdcError no_slots = server_error(
      "55000", "replication slots can only be used if max_replication_slots > 0");
  EXPECT_EQ(no_slots.kind(), ErrorKind::ServerSetting);
  const CdcError invalidated =
      server_error("55000", "can no longer get changes from replication slot \"s\"");
  EXPECT_EQ(invalidated.kind(), ErrorKind::SlotInvalidated);  // permanent: never retried
  EXPECT_FALSE(invalidated.retryable());
  EXPECT_TRUE(contains(invalidated.what(), "new snapshot"));
  EXPECT_EQ(invalidated.sqlstate(), "55000");
}
