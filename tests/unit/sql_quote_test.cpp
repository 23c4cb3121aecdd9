#include "base/sql_quote.hpp"

#include <gtest/gtest.h>

namespace {

using sabot::base::IdentifierQuoting;
using sabot::base::quote_identifier;
using sabot::base::quote_literal;

// The rule of type names in pgoutput events (format_type()'s quote_ident without keywords).
TEST(SqlQuote, IdentifierWhenNeeded) {
  constexpr auto kWhenNeeded = IdentifierQuoting::WhenNeeded;
  EXPECT_EQ(quote_identifier("mood", kWhenNeeded), "mood");
  EXPECT_EQ(quote_identifier("_x9", kWhenNeeded), "_x9");
  EXPECT_EQ(quote_identifier("Mood", kWhenNeeded), "\"Mood\"");
  EXPECT_EQ(quote_identifier("9a", kWhenNeeded), "\"9a\"");
  EXPECT_EQ(quote_identifier("a b", kWhenNeeded), "\"a b\"");
  EXPECT_EQ(quote_identifier("a\"b", kWhenNeeded), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("", kWhenNeeded), "\"\"");
  EXPECT_EQ(quote_identifier("café", kWhenNeeded), "\"café\"");
}

// The rule of START_REPLICATION (slot and option names, pgoutput publication names).
TEST(SqlQuote, IdentifierAlways) {
  constexpr auto kAlways = IdentifierQuoting::Always;
  EXPECT_EQ(quote_identifier("mood", kAlways), "\"mood\"");
  EXPECT_EQ(quote_identifier("format-version", kAlways), "\"format-version\"");
  EXPECT_EQ(quote_identifier("My \"odd\" pub", kAlways), "\"My \"\"odd\"\" pub\"");
  EXPECT_EQ(quote_identifier("", kAlways), "\"\"");
}

TEST(SqlQuote, Literal) {
  EXPECT_EQ(quote_literal("2"), "'2'");
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b\"c"), "'a\\b\"c'");
}

}  // namespace
