#include "pg/row_piece.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sabot/error.hpp"

namespace {

using sabot::CdcError;
using sabot::pg::RowPiece;

TEST(RowPiece, PlainCopyRowsSplitAtTabsIntoViews) {
  RowPiece piece(3);
  piece.add_copy_row("1\tpaid\t12.50\n");
  piece.add_copy_row("2\t\t0");  // an empty string is not NULL; no trailing newline
  ASSERT_EQ(piece.rows(), 2);
  EXPECT_EQ(piece.get(0, 0), "1");
  EXPECT_EQ(piece.get(0, 1), "paid");
  EXPECT_EQ(piece.get(0, 2), "12.50");
  EXPECT_EQ(piece.get(1, 1), "");
  EXPECT_FALSE(piece.is_null(1, 1));
  EXPECT_EQ(piece.get(1, 2), "0");
}

TEST(RowPiece, BackslashNAloneIsNullAndEscapedOneIsText) {
  RowPiece piece(3);
  piece.add_copy_row("\\N\t\\\\N\tx\\N\n");
  EXPECT_TRUE(piece.is_null(0, 0));
  EXPECT_EQ(piece.get(0, 0), "");
  EXPECT_EQ(piece.get_optional(0, 0), std::nullopt);
  EXPECT_FALSE(piece.is_null(0, 1));
  EXPECT_EQ(piece.get(0, 1), "\\N");
  EXPECT_EQ(piece.get(0, 2), "xN");  // backslash before another character: that character
}

TEST(RowPiece, EveryEscapeOfTheTextFormatDecodes) {
  RowPiece piece(2);
  piece.add_copy_row("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\t\\101\\x41\\x4a\\7\\0\\xz\n");
  EXPECT_EQ(piece.get(0, 0), std::string("a\tb\nc\\d\re\bf\fg\vh"));
  EXPECT_EQ(piece.get(0, 1), std::string("AAJ\a\0xz", 7));
}

TEST(RowPiece, AnEscapedRowNextToPlainRowsKeepsEachValue) {
  RowPiece piece(2);
  piece.add_copy_row("1\tplain\n");
  piece.add_copy_row("2\tline\\none\n");
  piece.add_copy_row("3\t\\\\x00ff\n");  // bytea's text form
  EXPECT_EQ(piece.get(0, 1), "plain");
  EXPECT_EQ(piece.get(1, 1), "line\none");
  EXPECT_EQ(piece.get(2, 0), "3");
  EXPECT_EQ(piece.get(2, 1), "\\x00ff");
}

TEST(RowPiece, ARowWithAnotherNumberOfFieldsIsRefusedAndLeavesThePieceAsItWas) {
  RowPiece piece(2);
  piece.add_copy_row("1\ta\n");
  try {
    piece.add_copy_row("2\tb\tc\n");
    FAIL() << "a row of 3 fields was taken into a piece of 2 columns";
  } catch (const CdcError& e) {
    EXPECT_NE(std::string(e.what()).find("3 fields"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2 columns"), std::string::npos) << e.what();
  }
  EXPECT_EQ(piece.rows(), 1);
  piece.add_copy_row("3\tc\n");
  EXPECT_EQ(piece.get(1, 1), "c");
}

}  // namespace
