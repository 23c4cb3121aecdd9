// pgoutput's START_REPLICATION options (engine/pgoutput_options.hpp): publication-name quoting,
// the protocol checks, and the command they end up in.
#include "engine/pgoutput_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "cdc_error_checks.hpp"
#include "pg/replication_stream.hpp"
#include "sabot/error.hpp"

namespace {

using sabot::CdcError;
using sabot::ErrorKind;
using sabot::Lsn;
using sabot::engine::pgoutput_plugin_options;

using Options = std::vector<std::pair<std::string, std::string>>;

TEST(PgoutputPluginOptions, DefaultPublicationIsQuoted) {
  EXPECT_EQ(pgoutput_plugin_options(2, "sabot_cdc", true, true),
            (Options{{"proto_version", "2"},
                     {"publication_names", "\"sabot_cdc\""},
                     {"messages", "true"},
                     {"streaming", "true"}}));
  EXPECT_EQ(pgoutput_plugin_options(1, "sabot_cdc", false, false),
            (Options{{"proto_version", "1"}, {"publication_names", "\"sabot_cdc\""}}));
}

TEST(PgoutputPluginOptions, NamesKeepTheirCaseAndQuotedNamesMayHoldCommas) {
  EXPECT_EQ(pgoutput_plugin_options(3, " Pub_A ,pub_b", false, false)[1].second,
            "\"Pub_A\",\"pub_b\"");
  EXPECT_EQ(pgoutput_plugin_options(3, "\"My, \"\"odd\"\" pub\" , x", false, false)[1].second,
            "\"My, \"\"odd\"\" pub\",\"x\"");
  EXPECT_EQ(pgoutput_plugin_options(3, "has space", false, false)[1].second, "\"has space\"");
}

TEST(PgoutputPluginOptions, BadInputIsAConfigError) {
  for (const char* csv :
       {"", " ", "a,", ",a", "a,,b", "\"unterminated", "\"a\"b", "a\"b", "\"\""}) {
    try {
      pgoutput_plugin_options(2, csv, false, false);
      ADD_FAILURE() << "accepted '" << csv << "'";
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config) << csv;
    }
  }
  using sabot::test::throws_cdc_error;
  EXPECT_TRUE(throws_cdc_error([] { pgoutput_plugin_options(1, "p", true, false); },
                               ErrorKind::Config, "streaming needs protocol version 2"));
  EXPECT_TRUE(throws_cdc_error([] { pgoutput_plugin_options(0, "p", false, false); },
                               ErrorKind::Config, "protocol version 0 is not supported"));
  EXPECT_TRUE(throws_cdc_error([] { pgoutput_plugin_options(5, "p", false, false); },
                               ErrorKind::Config, "protocol version 5 is not supported"));
}

// The options as START_REPLICATION carries them: each value an SQL string literal, so the quote
// in the publication name is doubled there.
TEST(PgoutputPluginOptions, SqlForm) {
  const Options options = pgoutput_plugin_options(2, "it's", true, false);
  EXPECT_EQ(
      options,
      (Options{{"proto_version", "2"}, {"publication_names", "\"it's\""}, {"streaming", "true"}}));
  EXPECT_EQ(sabot::pg::start_replication_command("s", Lsn(), options),
            "START_REPLICATION SLOT \"s\" LOGICAL 0/0 (\"proto_version\" '2', "
            "\"publication_names\" '\"it''s\"', \"streaming\" 'true')");
}

}  // namespace
