#include "sabot/table_pattern.hpp"

#include <gtest/gtest.h>

#include "sabot/error.hpp"

using sabot::CdcError;
using sabot::TableFilter;
using sabot::TablePattern;

TEST(TablePattern, ExactNameAndDefaultSchema) {
  auto p = TablePattern::parse("orders");
  EXPECT_EQ(p.schema_pattern(), "public");
  EXPECT_TRUE(p.matches("public", "orders"));
  EXPECT_FALSE(p.matches("sales", "orders"));
  EXPECT_FALSE(p.matches("public", "orders2"));
  EXPECT_TRUE(TablePattern::parse("sales.orders").matches("sales", "orders"));
}

TEST(TablePattern, Wildcards) {
  auto all_public = TablePattern::parse("public.*");
  EXPECT_TRUE(all_public.matches("public", "anything"));
  EXPECT_FALSE(all_public.matches("other", "anything"));
  auto audit = TablePattern::parse("*.audit_?");
  EXPECT_TRUE(audit.matches("x", "audit_1"));
  EXPECT_FALSE(audit.matches("x", "audit_12"));
  EXPECT_FALSE(audit.matches("x", "audit_"));
  auto mid = TablePattern::parse("s*s.*_log*");
  EXPECT_TRUE(mid.matches("sales", "order_log"));
  EXPECT_TRUE(mid.matches("ss", "a_logs"));
  EXPECT_FALSE(mid.matches("sale", "a_log"));
}

TEST(TablePattern, QuotedPartsAreLiteral) {
  auto p = TablePattern::parse("\"My.Schema\".\"T*\"");
  EXPECT_TRUE(p.matches("My.Schema", "T*"));
  EXPECT_FALSE(p.matches("My.Schema", "Tx"));
  EXPECT_TRUE(TablePattern::parse("\"a\"\"b\"").matches("public", "a\"b"));
}

TEST(TablePattern, InvalidPatternsAreConfigErrors) {
  for (const char* bad : {"", ".", "a.", ".b", "a.b.c", "\"open", "a b", "a,b", "x\"y\".z"}) {
    try {
      TablePattern::parse(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const CdcError& e) {
      EXPECT_EQ(e.kind(), sabot::ErrorKind::Config);
      EXPECT_NE(std::string(e.what()).find("invalid table pattern"), std::string::npos);
    }
  }
}

TEST(TableFilter, EmptyMatchesAllAndSeveralPatternsUnite) {
  EXPECT_TRUE(TableFilter().matches("a", "b"));
  TableFilter f({"public.orders", "public.users"});
  EXPECT_TRUE(f.matches("public", "orders"));
  EXPECT_TRUE(f.matches("public", "users"));
  EXPECT_FALSE(f.matches("public", "products"));
}

TEST(SplitTablePatterns, CommasAndBlanksSeparateOutsideQuotesOnly) {
  using V = std::vector<std::string>;
  EXPECT_EQ(sabot::split_table_patterns("public.orders, audit.*,,public.users "),
            (V{"public.orders", "audit.*", "public.users"}));
  EXPECT_EQ(sabot::split_table_patterns("\"My, Schema\".\"T a\",b"),
            (V{"\"My, Schema\".\"T a\"", "b"}));
  EXPECT_EQ(sabot::split_table_patterns(" , "), V{});
}
