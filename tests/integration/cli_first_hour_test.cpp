// What a new user of the CLI meets in the first hour (issue 17): usage errors exit 2; the progress
// line never lands among the JSON on a terminal; `status` flags inactive slots that keep WAL;
// `slots` names each slot's database and drops the inactive ones of a database on request.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "local_postgres.hpp"

using sabot::test::CommandResult;
using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::run_command;
using sabot::test::shell_quote;
using sabot::test::sql_on;

namespace {

// A database with a table, slots made by `init` (publication NAME_pub) and one insert after them.
std::string database_with_slots(const std::string& name, const std::vector<std::string>& slots) {
  const std::string dsn = LocalPostgres::shared().fresh_database(name);
  sql_on(dsn,
         "SET client_min_messages = warning; DROP TABLE IF EXISTS t; "
         "CREATE TABLE t (id int PRIMARY KEY)");
  for (const std::string& slot : slots) {
    const CommandResult init = run_cli({"init", "--dsn", dsn, "--slot", slot, "--publication",
                                        name + "_pub", "--tables", "public.t", "--no-ddl-capture"});
    EXPECT_EQ(init.exit_code, 0) << init.err;
  }
  sql_on(dsn, "INSERT INTO t VALUES (1)");
  return dsn;
}

std::string database_with_slot(const std::string& name, const std::string& slot) {
  return database_with_slots(name, {slot});
}

// Runs a shell command under script(1): stdin, stdout and stderr are one pseudo-terminal, as in
// an interactive shell. Returns what the terminal showed.
CommandResult on_a_terminal(const std::string& command) {
  return run_command("script -qefc " + shell_quote(command) + " /dev/null");
}

std::string cli() {
  return shell_quote(SABOT_CLI_PATH);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST(CliUsage, UsageErrorsExitTwoAndHelpZero) {
  EXPECT_EQ(run_cli({"stream", "--slot", "x", "--bogus-flag"}).exit_code, 2);
  EXPECT_EQ(run_cli({"stream"}).exit_code, 2) << "--slot is required";
  EXPECT_EQ(run_cli({}).exit_code, 2) << "a subcommand is required";
  EXPECT_EQ(run_cli({"stream", "--slot", "x", "--batch-size", "many"}).exit_code, 2);
  EXPECT_EQ(run_cli({"slots", "drop"}).exit_code, 2) << "a name or --inactive";
  EXPECT_EQ(run_cli({"slots", "drop", "--prefix", "ex"}).exit_code, 2)
      << "--prefix needs --inactive";
  const CommandResult help = run_cli({"stream", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--slot"), std::string::npos);
}

// With stdout and stderr on one terminal the JSON is alone on the screen; with stdout in a file
// the terminal shows the progress, ending with its final line.
TEST(CliTerminal, ProgressOnlyWhereItCannotMixWithTheData) {
  // One slot per run: each run confirms what it streamed.
  const std::string dsn = database_with_slots("terminal_db", {"terminal_one", "terminal_two"});
  const std::string end_lsn = sql_on(dsn, "SELECT pg_current_wal_insert_lsn()");
  const auto stream = [&](const std::string& slot) {
    return cli() + " stream --dsn " + shell_quote(dsn) + " --slot " + slot +
           " --publication terminal_db_pub --end-lsn " + end_lsn;
  };

  const CommandResult shared = on_a_terminal(stream("terminal_one"));
  ASSERT_EQ(shared.exit_code, 0) << shared.out << shared.err;
  EXPECT_NE(shared.out.find("\"op\":\"insert\""), std::string::npos) << shared.out;
  EXPECT_EQ(shared.out.find("\033[K"), std::string::npos) << "progress drawn among the JSON";
  EXPECT_EQ(shared.out.find("events"), std::string::npos) << shared.out;

  const std::string file = std::filesystem::temp_directory_path() / "sabot-terminal-out.jsonl";
  const CommandResult separate = on_a_terminal(stream("terminal_two") + " > " + shell_quote(file));
  ASSERT_EQ(separate.exit_code, 0) << separate.out << separate.err;
  EXPECT_NE(separate.out.find("1 event in 1 transaction, confirmed "), std::string::npos)
      << separate.out;
  EXPECT_NE(slurp(file).find("\"op\":\"insert\""), std::string::npos);
  std::filesystem::remove(file);
}

// An inactive slot that holds WAL back is flagged in the text and in --json.
TEST(CliStatus, FlagsInactiveSlotsThatRetainWal) {
  const std::string dsn = database_with_slot("status_idle_db", "status_idle_slot");
  const CommandResult text = run_cli({"status", "--dsn", dsn, "--slot", "status_idle_slot"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("inactive, yet retains"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("sabot-cdc slots drop status_idle_slot"), std::string::npos) << text.out;
  const CommandResult json =
      run_cli({"status", "--dsn", dsn, "--slot", "status_idle_slot", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"inactive_retaining_wal\":true"), std::string::npos) << json.out;
  run_cli({"slots", "--dsn", dsn, "drop", "status_idle_slot"});
}

// `slots` says whose each slot is; `slots drop --inactive` asks (or takes --yes) and drops only
// the inactive slots of the connected database with the prefix.
TEST(CliSlots, DatabaseColumnAndDropInactiveWithPrefix) {
  const std::string dsn = database_with_slot("slots_drop_db", "first_hour_a");
  const std::string other = database_with_slot("slots_keep_db", "first_hour_b");
  const CommandResult list = run_cli({"slots", "--dsn", dsn});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("database"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("slots_keep_db"), std::string::npos) << list.out;

  const CommandResult unasked =
      run_cli({"slots", "--dsn", dsn, "drop", "--inactive", "--prefix", "first_hour_"});
  EXPECT_EQ(unasked.exit_code, 1) << "no terminal to ask on, no --yes";
  EXPECT_NE(unasked.err.find("--yes"), std::string::npos) << unasked.err;
  const std::string slot_count =
      "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'first_hour_%'";
  EXPECT_EQ(sql_on(dsn, slot_count), "2");

  const CommandResult dropped =
      run_cli({"slots", "--dsn", dsn, "drop", "--inactive", "--prefix", "first_hour_", "--yes"});
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_NE(dropped.out.find("slot \"first_hour_a\" dropped"), std::string::npos) << dropped.out;
  EXPECT_NE(dropped.out.find("\"first_hour_b\" is in database \"slots_keep_db\""),
            std::string::npos)
      << dropped.out;
  EXPECT_EQ(sql_on(dsn, slot_count), "1");
  run_cli({"slots", "--dsn", other, "drop", "first_hour_b"});
}
