// --log-format and --log-level on every subcommand, not only `stream`: in json mode each error or
// warning line on stderr is one JSON object (level, message), the command's normal stdout output
// is unchanged, --log-level drops what is less severe, and no password appears.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "local_postgres.hpp"

using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::sql_on;

namespace {

const char* kUnreachable = "host=127.0.0.1 port=1 connect_timeout=2 password=L0g-secret";

struct LogLine {
  std::string level;
  std::string message;
};

// Every non-empty line of `text` as a JSON log object; a line that is not one fails the test.
std::vector<LogLine> json_lines(const std::string& text) {
  std::vector<LogLine> lines;
  std::istringstream in(text);
  simdjson::dom::parser parser;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    simdjson::dom::element object;
    if (parser.parse(line).get(object) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not a JSON line: " << line;
      continue;
    }
    std::string_view level, message, time;
    EXPECT_EQ(object["level"].get(level), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["message"].get(message), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["time"].get(time), simdjson::SUCCESS) << line;
    lines.push_back({std::string(level), std::string(message)});
  }
  return lines;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(CliLogging, EverySubcommandWritesItsErrorAsAJsonLine) {
  const std::vector<std::vector<std::string>> commands = {
      {"init", "--dsn", kUnreachable, "--log-format", "json"},
      {"check", "--dsn", kUnreachable, "--log-format", "json"},
      {"status", "--dsn", kUnreachable, "--log-format", "json"},
      {"slots", "--dsn", kUnreachable, "--log-format", "json"},
      {"slots", "--dsn", kUnreachable, "drop", "gone", "--log-format", "json"},
      {"snapshot", "--dsn", kUnreachable, "--slot", "s", "--tables", "public.t", "--log-format",
       "json"},
  };
  for (const auto& args : commands) {
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    const std::vector<LogLine> lines = json_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << args[0] << ": " << r.err;
    EXPECT_EQ(lines[0].level, "error") << r.err;
    EXPECT_TRUE(has(lines[0].message, "127.0.0.1")) << r.err;
    EXPECT_FALSE(has(r.err, "sabot-cdc: error:")) << r.err;
    EXPECT_FALSE(has(r.out + r.err, "L0g-secret")) << args[0];
  }
}

TEST(CliLogging, StatusWarningsFollowFormatAndLevelWhileStdoutStays) {
  const std::string dsn = LocalPostgres::shared().fresh_database("cli_logging_status");
  sql_on(dsn, "CREATE TABLE public.t (id int PRIMARY KEY)");
  sql_on(dsn, "SELECT pg_create_logical_replication_slot('logging_retains', 'pgoutput')");
  sql_on(dsn, "INSERT INTO public.t SELECT generate_series(1, 1000)");
  const std::vector<std::string> base = {
      "status", "--dsn", dsn, "--slot", "logging_retains", "--warn-retained-bytes", "1"};

  auto text = run_cli(base);
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_TRUE(has(text.err, "sabot-cdc: warning: slot \"logging_retains\" retains")) << text.err;

  auto args = base;
  args.insert(args.end(), {"--log-format", "json"});
  const auto json = run_cli(args);
  EXPECT_EQ(json.exit_code, 1) << json.err;
  const std::vector<LogLine> lines = json_lines(json.err);
  ASSERT_EQ(lines.size(), 1u) << json.err;
  EXPECT_EQ(lines[0].level, "warning");
  EXPECT_TRUE(has(lines[0].message, "slot \"logging_retains\" retains")) << json.err;
  // stdout is the same report either way.
  EXPECT_TRUE(has(json.out, "slot logging_retains (pgoutput)")) << json.out;
  EXPECT_TRUE(has(json.out, "retained WAL:")) << json.out;

  // --log-level error: the warning is not written, the exit code still says it.
  args = base;
  args.insert(args.end(), {"--log-level", "error"});
  const auto quiet = run_cli(args);
  EXPECT_EQ(quiet.exit_code, 1);
  EXPECT_FALSE(has(quiet.err, "warning")) << quiet.err;
  EXPECT_TRUE(has(quiet.out, "slot logging_retains (pgoutput)")) << quiet.out;

  sql_on(dsn, "SELECT pg_drop_replication_slot('logging_retains')");
}

TEST(CliLogging, APipelineFilesOwnErrorFollowsTheCommandLinesLogFormat) {
  const std::string path = ::testing::TempDir() + "sabot-bad-pipeline.toml";
  {
    std::ofstream file(path);
    file << "slot = \"s\"\nbogus_key = 1\n";
  }
  const auto json = run_cli({"run", "--config", path, "--log-format", "json"});
  EXPECT_EQ(json.exit_code, 1);
  const auto lines = json_lines(json.err);
  ASSERT_EQ(lines.size(), 1u) << json.err;
  EXPECT_EQ(lines[0].level, "error");
  EXPECT_TRUE(has(lines[0].message, path + ":2: unknown key 'bogus_key'")) << lines[0].message;
  const auto text = run_cli({"run", "--config", path});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(has(text.err, "sabot-cdc: error: " + path + ":2: unknown key 'bogus_key'"))
      << text.err;
  std::remove(path.c_str());
}
