#include "sabot/lsn.hpp"

#include <gtest/gtest.h>

using sabot::Lsn;

TEST(Lsn, ParsesAndPrintsPostgresForm) {
  auto lsn = Lsn::parse("16/B374D848");
  ASSERT_TRUE(lsn);
  EXPECT_EQ(lsn->value(), (uint64_t{0x16} << 32) | 0xB374D848);
  EXPECT_EQ(lsn->to_string(), "16/B374D848");
  EXPECT_EQ(Lsn::parse("0/0")->value(), 0u);
  EXPECT_EQ(Lsn::parse("ffffffff/ffffffff")->to_string(), "FFFFFFFF/FFFFFFFF");
  EXPECT_EQ(Lsn(0x1'0000'0000).to_string(), "1/0");
}

TEST(Lsn, RejectsMalformedText) {
  for (const char* bad : {"", "/", "1/", "/1", "16B374D848", "1/2/3", "g/1", "123456789/0",
                          " 1/1", "1/1 ", "-1/1"}) {
    EXPECT_FALSE(Lsn::parse(bad)) << bad;
  }
}

TEST(Lsn, OrdersByPosition) {
  EXPECT_LT(*Lsn::parse("0/FFFFFFFF"), *Lsn::parse("1/0"));
  EXPECT_FALSE(Lsn().is_valid());
  EXPECT_TRUE(Lsn(1).is_valid());
}
