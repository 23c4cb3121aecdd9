// The examples' run scripts as a new user meets them (issue 17): every command line an example's
// README shows runs and exits 0; --dsn leaves the user's own tables alone and --cleanup removes
// what the run installed; a bad flag is refused (exit 2) before anything is created; a second run
// of an example refuses to start while the first is going. Workloads are small (extra options
// are added only where a README line does not set them itself).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "local_postgres.hpp"
#include "local_redis.hpp"

using sabot::test::CommandResult;
using sabot::test::LocalPostgres;
using sabot::test::LocalRedis;
using sabot::test::run_command;
using sabot::test::shell_quote;
using sabot::test::sql_on;

namespace {

namespace fs = std::filesystem;

struct ReadmeCommand {
  std::string example;  // "01_basic_cdc"
  std::string line;     // as the README shows it, without its trailing comment
};

// gtest shows the command line, not the struct's bytes.
void PrintTo(const ReadmeCommand& command, std::ostream* out) {
  *out << command.line;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of the README's ```bash blocks that run the example's run script.
std::vector<ReadmeCommand> commands_of(const std::string& example) {
  std::vector<ReadmeCommand> commands;
  std::istringstream readme(
      read_text(fs::path(SABOT_SOURCE_DIR) / "examples" / example / "README.md"));
  bool in_bash = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("```", 0) == 0) {
      in_bash = !in_bash && line == "```bash";
      continue;
    }
    if (!in_bash || line.find("examples/" + example + "/run") == std::string::npos) continue;
    const size_t comment = line.find("  #");
    if (comment != std::string::npos) line.resize(comment);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    commands.push_back({example, line});
  }
  return commands;
}

const std::vector<std::string> kExamples = {"01_basic_cdc", "02_ecommerce_orders",
                                            "03_realtime_analytics", "04_cache_invalidation"};

std::vector<ReadmeCommand> all_readme_commands() {
  std::vector<ReadmeCommand> all;
  for (const std::string& example : kExamples) {
    for (ReadmeCommand& c : commands_of(example)) all.push_back(std::move(c));
  }
  return all;
}

// Options that keep a run short, added only when the README line does not set them.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kFastOptions = {
    {"01_basic_cdc", {{"--pause-ms", "5"}, {"--transactions", "8"}}},
    {"02_ecommerce_orders", {{"--pause-ms", "0"}, {"--orders", "60"}}},
    {"03_realtime_analytics", {{"--duration-ms", "1500"}, {"--orders", "60"}}},
    {"04_cache_invalidation", {{"--pause-ms", "0"}, {"--transactions", "200"}}},
};

// A directory standing in for .demo/: pg/ is the test cluster, so a run without --dsn uses it;
// redis/ and the lock files are private to this test process.
class DemoDir {
 public:
  explicit DemoDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("sabot-demo-" + name + "-" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
    fs::create_directory_symlink(LocalPostgres::shared().dir(), path_ / "pg");
  }
  ~DemoDir() {
    if (fs::exists(path_ / "redis")) {
      run_command("bash " + shell_quote(std::string(SABOT_SOURCE_DIR) + "/scripts/redis-local") +
                  " destroy " + shell_quote((path_ / "redis").string()));
    }
    fs::remove_all(path_);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Runs a run-script command line from the source directory, with the test's build and .demo/.
CommandResult run_example(const std::string& line, const DemoDir& demo) {
  return run_command("cd " + shell_quote(SABOT_SOURCE_DIR) +
                     " && SABOT_SKIP_BUILD=1 SABOT_BUILD_DIR=" + shell_quote(SABOT_BINARY_DIR) +
                     " SABOT_DEMO_DIR=" + shell_quote(demo.path()) + " " + line);
}

std::string run_script(const std::string& example) {
  return "examples/" + example + "/run";
}

std::string count(const std::string& dsn, const std::string& query) {
  return sql_on(dsn, query);
}

class ExampleReadmeCommand : public ::testing::TestWithParam<ReadmeCommand> {};

}  // namespace

TEST(ExampleReadmes, EachReadmeShowsItsRunCommands) {
  for (const std::string& example : kExamples) {
    EXPECT_GE(commands_of(example).size(), 2u) << example << "/README.md";
  }
}

TEST_P(ExampleReadmeCommand, RunsAndExitsZero) {
  const ReadmeCommand& command = GetParam();
  DemoDir demo("readme");
  std::string line = command.line;
  // Placeholders of the README: "your server" is a database of the test cluster, "your Redis" a
  // redis-server of the test's own.
  const std::string dsn = LocalPostgres::shared().fresh_database("readme_user_db");
  line = std::regex_replace(line, std::regex(R"(--dsn "[^"]*")"), "--dsn " + shell_quote(dsn));
  std::unique_ptr<LocalRedis> redis;
  if (line.find("redis://") != std::string::npos) {
    redis = std::make_unique<LocalRedis>();
    line = std::regex_replace(line, std::regex(R"(redis://\S+)"), redis->url());
  }
  for (const auto& [option, value] : kFastOptions.at(command.example)) {
    if (line.find(option + " ") == std::string::npos) line += " " + option + " " + value;
  }
  const CommandResult r = run_example(line, demo);
  EXPECT_EQ(r.exit_code, 0) << line << "\n--- stdout\n" << r.out << "\n--- stderr\n" << r.err;
  if (line.find("--cleanup") == std::string::npos) {
    EXPECT_NE(r.err.find("--cleanup"), std::string::npos) << "the run says how to clean up\n"
                                                          << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Readme, ExampleReadmeCommand, ::testing::ValuesIn(all_readme_commands()),
                         [](const ::testing::TestParamInfo<ReadmeCommand>& info) {
                           return "ex" + info.param.example.substr(0, 2) + "_line" +
                                  std::to_string(info.index);
                         });

// --dsn to a database with its own products table: the table and its row stay exactly as they
// were, and --cleanup takes away the schema, publication, slot and DDL capture again.
TEST(ExampleRunScripts, DsnLeavesTheUsersTablesAloneAndCleanupRemovesTheRest) {
  DemoDir demo("dsn");
  const std::string dsn = LocalPostgres::shared().fresh_database("user_own_db");
  sql_on(dsn,
         "DROP TABLE IF EXISTS public.products; "
         "CREATE TABLE public.products (id integer PRIMARY KEY, name text); "
         "INSERT INTO public.products VALUES (1, 'mine')");
  const CommandResult r = run_example(
      run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn) + " --transactions 5 --pause-ms 0",
      demo);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("schema ex01"), std::string::npos) << "says what it installs\n" << r.err;
  EXPECT_EQ(count(dsn, "SELECT string_agg(id || ':' || name, ',') FROM public.products"), "1:mine");
  EXPECT_EQ(count(dsn,
                  "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                  "information_schema.columns WHERE table_schema = 'public' AND table_name = "
                  "'products'"),
            "id,name");
  EXPECT_NE(count(dsn, "SELECT count(*) FROM ex01.products"), "0");

  const CommandResult cleanup =
      run_example(run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn) + " --cleanup", demo);
  ASSERT_EQ(cleanup.exit_code, 0) << cleanup.out << cleanup.err;
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ex01'"), "0");
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_publication WHERE pubname = 'ex01_pub'"), "0");
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ex01_slot'"),
            "0");
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'sabot%'"), "0");
  EXPECT_EQ(count(dsn, "SELECT string_agg(id || ':' || name, ',') FROM public.products"), "1:mine");
}

// A schema named like the example's but not made by it is refused, not replaced.
TEST(ExampleRunScripts, ForeignSchemaOfTheSameNameIsRefused) {
  DemoDir demo("foreign");
  const std::string dsn = LocalPostgres::shared().fresh_database("foreign_schema_db");
  sql_on(dsn,
         "DROP SCHEMA IF EXISTS ex02 CASCADE; CREATE SCHEMA ex02; "
         "CREATE TABLE ex02.orders (id int); INSERT INTO ex02.orders VALUES (7)");
  const CommandResult r = run_example(
      run_script("02_ecommerce_orders") + " --dsn " + shell_quote(dsn) + " --orders 5", demo);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("was not created by a sabot-cdc example"), std::string::npos) << r.err;
  EXPECT_EQ(count(dsn, "SELECT string_agg(id::text, ',') FROM ex02.orders"), "7");
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ex02_slot'"),
            "0");
}

// Usage errors exit 2 before the database is touched: no database, schema, slot or publication.
TEST(ExampleRunScripts, BadArgumentsChangeNothingAndExitTwo) {
  DemoDir demo("args");
  const std::string dsn = LocalPostgres::shared().fresh_database("bad_args_db");
  for (const std::string& args : {std::string("--bogus-flag"), std::string("--transactions abc"),
                                  std::string("--plugin nosuch"), std::string("--pause-ms")}) {
    const CommandResult r =
        run_example(run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn) + " " + args, demo);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.find("Installing"), std::string::npos) << args << "\n" << r.err;
  }
  const CommandResult local = run_example(run_script("03_realtime_analytics") + " --bogus", demo);
  EXPECT_EQ(local.exit_code, 2) << local.err;
  EXPECT_EQ(local.err.find("Starting the local PostgreSQL"), std::string::npos) << local.err;
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ex01'"), "0");
  EXPECT_EQ(count(dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'ex0%'"),
            "0");
}

// While one run streams, a second is refused before it changes anything: by the lock file on the
// same machine, by the active slot from elsewhere (another .demo/). The first finishes normally.
TEST(ExampleRunScripts, SecondRunRefusesWhileTheFirstIsGoing) {
  DemoDir demo("twice");
  DemoDir elsewhere("elsewhere");
  const std::string dsn = LocalPostgres::shared().fresh_database("two_runs_db");
  CommandResult first;
  std::thread first_run([&] {
    first = run_example(run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn) +
                            " --transactions 40 --pause-ms 150",
                        demo);
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count(dsn,
               "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ex01_slot' AND "
               "active") != "1" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string rows_before = count(dsn, "SELECT count(*) FROM ex01.products");
  const CommandResult same_machine =
      run_example(run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn), demo);
  const CommandResult other_machine =
      run_example(run_script("01_basic_cdc") + " --dsn " + shell_quote(dsn), elsewhere);
  const std::string rows_after = count(dsn, "SELECT count(*) FROM ex01.products");
  first_run.join();

  EXPECT_EQ(same_machine.exit_code, 1) << same_machine.err;
  EXPECT_NE(same_machine.err.find("another run of example 01 is going (pid"), std::string::npos)
      << same_machine.err;
  EXPECT_EQ(other_machine.exit_code, 1) << other_machine.err;
  EXPECT_NE(other_machine.err.find("slot ex01_slot is in use (walsender pid"), std::string::npos)
      << other_machine.err;
  EXPECT_LE(std::stoi(rows_before), std::stoi(rows_after)) << "the table was not re-created";
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("41 transactions"), std::string::npos)
      << "all 40 workload transactions and the ALTER TABLE\n"
      << first.out;
}

// Example 01's workload goes on from the rows a previous run left.
TEST(ExampleRunScripts, Example01WorkloadRunsOnANonEmptyTable) {
  const std::string dsn = LocalPostgres::shared().fresh_database("ex01_twice_db");
  const std::string workload =
      shell_quote(std::string(SABOT_BINARY_DIR) + "/examples/01_basic_cdc/workload") + " --dsn " +
      shell_quote(dsn);
  ASSERT_EQ(run_command(workload + " --setup").exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    const CommandResult r =
        run_command(workload + " --transactions 10 --seed " + std::to_string(i));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}
