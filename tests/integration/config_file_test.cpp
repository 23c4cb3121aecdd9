// `sabot-cdc run --config pipeline.toml`: a file configures a real stream, flags override it, the
// password comes from a file without ever being echoed, and each kind of mistake is rejected with
// the file, the line and the key.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "local_postgres.hpp"

using sabot::test::LocalPostgres;
using sabot::test::run_cli;
using sabot::test::sql_on;

namespace {

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t lines_in(const std::string& path) {
  const std::string text = read_file(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(ConfigFile, RunsAStreamWithFlagsOverridingTheFile) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("config_run");
  sql_on(dsn,
         "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'config_user') THEN "
         "CREATE ROLE config_user LOGIN SUPERUSER PASSWORD 'C0nfig-pw'; END IF; END $$;"
         "CREATE TABLE public.t (id int PRIMARY KEY)");
  ASSERT_EQ(run_cli({"init", "--dsn", dsn, "--slot", "config_slot", "--publication", "config_pub"})
                .exit_code,
            0);
  sql_on(dsn, "INSERT INTO public.t SELECT generate_series(1, 7)");
  const std::string end = sql_on(dsn, "SELECT pg_current_wal_lsn()");
  std::string user_dsn = pg.tcp_dsn("config_user", "C0nfig-pw");
  user_dsn = user_dsn.substr(0, user_dsn.find(" password=")) + " dbname=config_run";
  const std::string secret = write_file(pg.dir() + "/config_pw", "C0nfig-pw\n");
  const std::string from_file = pg.dir() + "/config_from_file.jsonl";
  const std::string from_flag = pg.dir() + "/config_from_flag.jsonl";
  const std::string toml = write_file(pg.dir() + "/pipeline.toml",
                                      "[source]\n"
                                      "dsn = \"" +
                                          user_dsn +
                                          "\"\n"
                                          "password_file = \"" +
                                          secret +
                                          "\"\n"
                                          "slot = \"config_slot\"\n"
                                          "publication = \"config_pub\"\n"
                                          "tables = [\"public.t\"]\n"
                                          "end-lsn = \"" +
                                          end +
                                          "\"\n"
                                          "[batching]\n"
                                          "batch-size = 3\n"
                                          "[sink]\n"
                                          "sink-retry-max-ms = 500\n"
                                          "sink-retry-attempts = 3\n"
                                          "output = \"" +
                                          from_file +
                                          "\"\n"
                                          "[stream]\n"
                                          "quiet = true\n"
                                          "no-reconnect = false\n");
  const auto r = run_cli({"run", "--config", toml, "--output", from_flag});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(lines_in(from_flag), 7u) << r.err;
  EXPECT_EQ(lines_in(from_file), 0u);  // overridden: never written
  EXPECT_FALSE(has(r.out + r.err, "C0nfig-pw"));
}

struct Mistake {
  const char* name;
  const char* toml;
  const char* expected;  // in stderr, after "pipeline_bad.toml:"
};

class ConfigFileMistakes : public testing::TestWithParam<Mistake> {};

TEST_P(ConfigFileMistakes, AreRejectedWithFileLineAndKey) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string path =
      write_file(pg.dir() + "/pipeline_bad_" + GetParam().name + ".toml", GetParam().toml);
  const auto r = run_cli({"run", "--config", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, path + ":" + GetParam().expected)) << r.err;
  EXPECT_FALSE(has(r.err, "Very-s3cret")) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Each, ConfigFileMistakes,
    testing::Values(
        Mistake{"unknown_key", "[source]\nslot = \"s\"\nbacth-size = 5\n",
                "3: unknown key 'bacth-size'"},
        Mistake{"wrong_type", "slot = \"s\"\n\n[batching]\nbatch-size = \"ten\"\n",
                "4: key 'batch-size' must be an integer"},
        Mistake{"bad_value", "slot = \"s\"\nbatch-size = 0\n", "2: key 'batch-size':"},
        Mistake{"bad_retry", "slot = \"s\"\n[sink]\nsink-retry-attempts = -1\n",
                "3: key 'sink-retry-attempts':"},
        Mistake{"bad_choice", "slot = \"s\"\n[source]\nplugin = \"decoderbufs\"\n",
                "3: key 'plugin':"},
        Mistake{"unknown_table", "[sauce]\nslot = \"s\"\n", "1: unknown table [sauce]"},
        Mistake{"syntax", "slot = \"s\"\nbatch-size = = 3\n", "2:"},
        Mistake{"duplicate_in_tables", "[source]\nslot = \"a\"\n[stream]\nslot = \"b\"\n",
                "4: key 'slot' is already set on line 2"},
        Mistake{"missing_env", "slot = \"s\"\npassword_env = \"SABOT_TEST_UNSET_PW\"\n",
                "2: key 'password_env': environment variable SABOT_TEST_UNSET_PW is not set"},
        Mistake{"missing_password_file", "password_file = \"/nonexistent/pw\"\n",
                "1: key 'password_file': cannot read '/nonexistent/pw'"},
        Mistake{"list_for_scalar", "slot = [\"a\", \"b\"]\n", "1: key 'slot' must be a string"},
        Mistake{"dsn_password_hidden",
                "dsn = \"host=x password=Very-s3cret\"\nslot = \"s\"\nbatch-size = -4\n",
                "3: key 'batch-size':"}),
    [](const testing::TestParamInfo<Mistake>& info) { return std::string(info.param.name); });

// The example shipped in deploy/ is a valid pipeline file: with a bad override it fails on the
// override itself, not on any line of the file.
TEST(ConfigFile, TheShippedExampleParses) {
  const std::string example = std::string(SABOT_SOURCE_DIR) + "/deploy/pipeline.example.toml";
  const auto r = sabot::test::run_command(
      "PGPASSWORD=unused " + sabot::test::shell_quote(SABOT_CLI_PATH) + " run --config " +
      sabot::test::shell_quote(example) + " --batch-size 0");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "--batch-size")) << r.err;
  EXPECT_FALSE(has(r.err, "pipeline.example.toml:")) << r.err;
}
