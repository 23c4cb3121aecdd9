// Logger and redact_secrets: text and JSON lines, the level filter, and no password in any line.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sabot/error.hpp"
#include "sabot/log.hpp"

using namespace sabot;

namespace {

// Everything `body` logs through a Logger writing to a temporary file.
template <typename Body>
std::string captured(LogFormat format, LogLevel level, Body body) {
  std::FILE* file = std::tmpfile();
  {
    Logger logger(format, level, "my_slot", file);
    body(logger);
  }
  std::rewind(file);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, file)) out.append(buf, n);
  std::fclose(file);
  return out;
}

}  // namespace

TEST(RedactSecrets, HidesPasswordsInConninfoUrisAndQueries) {
  EXPECT_EQ(redact_secrets("host=db user=u password=s3cret dbname=x"),
            "host=db user=u password=******** dbname=x");
  EXPECT_EQ(redact_secrets("password = 'it\\'s secret' port=1"), "password = ******** port=1");
  EXPECT_EQ(redact_secrets("postgresql://app:s3cret@db:5432/x"),
            "postgresql://app:********@db:5432/x");
  EXPECT_EQ(redact_secrets("redis://:s3cret@cache:6379/0"), "redis://:********@cache:6379/0");
  EXPECT_EQ(redact_secrets("postgresql://db/x?user=u&password=s3cret&sslmode=require"),
            "postgresql://db/x?user=u&password=********&sslmode=require");
  EXPECT_EQ(redact_secrets("postgresql://app@db/x"), "postgresql://app@db/x");  // none to hide
}

TEST(Logger, JsonLinesCarryTimeLevelSlotMessageAndFields) {
  const std::string out = captured(LogFormat::Json, LogLevel::Info, [](const Logger& log) {
    log.log(LogLevel::Warning, "lost \"it\" at password=hunter2", {{"attempt", "3"}});
  });
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.rfind("{\"time\":\"", 0), 0u) << out;
  EXPECT_NE(
      out.find("Z\",\"level\":\"warning\",\"slot\":\"my_slot\",\"message\":\"lost \\\"it\\\" at "
               "password=********\",\"fields\":{\"attempt\":\"3\"}}\n"),
      std::string::npos)
      << out;
}

TEST(Logger, TextLinesAndTheLevelFilter) {
  const std::string out = captured(LogFormat::Text, LogLevel::Warning, [](const Logger& log) {
    log.log(LogLevel::Info, "hidden");
    log.connector_log()("reconnecting in 100 ms");
  });
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  EXPECT_NE(out.find(" warning [my_slot] reconnecting in 100 ms\n"), std::string::npos) << out;
}

TEST(Logger, BadNamesAreConfigErrors) {
  EXPECT_THROW(parse_log_level("loud"), CdcError);
  EXPECT_THROW(parse_log_format("xml"), CdcError);
  EXPECT_EQ(parse_log_level("error"), LogLevel::Error);
}
