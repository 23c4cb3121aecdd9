#include "base/byte_reader.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sabot/error.hpp"

namespace {

using sabot::CdcError;
using sabot::ErrorKind;
using sabot::base::ByteReader;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Runs `read` and returns the CdcError message; fails the test if nothing or something else is
// thrown.
template <typename F>
std::string protocol_error(F&& read) {
  try {
    read();
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    return e.what();
  }
  ADD_FAILURE() << "expected a CdcError";
  return {};
}

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  const std::string buf = bytes(
      {0x7f, 0x01, 0x02, 0x01, 0x02, 0x03, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
  ByteReader in(buf);
  EXPECT_EQ(in.read_u8("a"), 0x7f);
  EXPECT_EQ(in.read_u16("b"), 0x0102);
  EXPECT_EQ(in.read_u32("c"), 0x01020304u);
  EXPECT_EQ(in.read_u64("d"), 0x0102030405060708ull);
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(in.remaining(), 0u);
  in.expect_end("test message");
}

TEST(ByteReaderTest, SignedReadsKeepTheSign) {
  const std::string buf = bytes({0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0});
  ByteReader in(buf);
  EXPECT_EQ(in.read_i16("a"), -2);
  EXPECT_EQ(in.read_i32("b"), -1);
  EXPECT_EQ(in.read_i64("c"), INT64_MIN);
}

TEST(ByteReaderTest, CStringIsAViewIntoTheBufferWithoutTheNul) {
  const std::string buf = std::string("public\0orders\0\0x", 16);
  ByteReader in(buf);
  std::string_view a = in.read_cstring("namespace");
  EXPECT_EQ(a, "public");
  EXPECT_EQ(a.data(), buf.data());  // no copy
  EXPECT_EQ(in.read_cstring("name"), "orders");
  EXPECT_EQ(in.read_cstring("empty"), "");
  EXPECT_EQ(in.position(), 15u);
  EXPECT_EQ(in.remaining(), 1u);
}

TEST(ByteReaderTest, ReadBytesReturnsAViewAndAdvances) {
  const std::string buf = std::string("ab\0cd", 5);
  ByteReader in(buf);
  EXPECT_EQ(in.read_bytes(0, "nothing"), "");
  std::string_view v = in.read_bytes(4, "content");
  EXPECT_EQ(v, std::string_view("ab\0c", 4));
  EXPECT_EQ(v.data(), buf.data());
  EXPECT_EQ(in.remaining(), 1u);
}

TEST(ByteReaderTest, UnderflowNamesTheFieldAndNeverReturnsADefault) {
  const std::string buf = bytes({1, 2, 3});
  ByteReader in(buf);
  const std::string what = protocol_error([&] { in.read_u32("relation OID"); });
  EXPECT_NE(what.find("relation OID"), std::string::npos) << what;
  EXPECT_NE(what.find("needs 4 bytes"), std::string::npos) << what;
  EXPECT_NE(what.find("3 left"), std::string::npos) << what;
  // The failed read consumed nothing.
  EXPECT_EQ(in.remaining(), 3u);
  EXPECT_EQ(in.read_u16("ok"), 0x0102);
  protocol_error([&] { in.read_u16("u16"); });
  protocol_error([&] { in.read_u64("u64"); });
  EXPECT_EQ(in.read_u8("last"), 3);
  protocol_error([&] { in.read_u8("u8"); });
  protocol_error([&] { in.read_i64("i64"); });
}

TEST(ByteReaderTest, ReadBytesUnderflowIncludingHugeCounts) {
  const std::string buf = bytes({1, 2});
  ByteReader in(buf);
  EXPECT_NE(
      protocol_error([&] { in.read_bytes(3, "tuple column value"); }).find("tuple column value"),
      std::string::npos);
  protocol_error([&] { in.read_bytes(SIZE_MAX, "huge"); });
  EXPECT_EQ(in.remaining(), 2u);
}

TEST(ByteReaderTest, CStringWithoutNulIsAnError) {
  const std::string buf = "abc";
  ByteReader in(buf);
  const std::string what = protocol_error([&] { in.read_cstring("relation name"); });
  EXPECT_NE(what.find("relation name"), std::string::npos) << what;
  EXPECT_NE(what.find("NUL"), std::string::npos) << what;
  EXPECT_EQ(in.remaining(), 3u);

  ByteReader empty{std::string_view()};
  protocol_error([&] { empty.read_cstring("gid"); });
}

TEST(ByteReaderTest, ExpectEndRejectsTrailingBytes) {
  const std::string buf = bytes({1, 2});
  ByteReader in(buf);
  in.read_u8("a");
  const std::string what = protocol_error([&] { in.expect_end("Stream Stop"); });
  EXPECT_NE(what.find("Stream Stop"), std::string::npos) << what;
  EXPECT_NE(what.find("1 unexpected trailing byte"), std::string::npos) << what;
  in.read_u8("b");
  in.expect_end("Stream Stop");
}

TEST(ByteReaderTest, EmptyBuffer) {
  ByteReader in{std::string_view()};
  EXPECT_TRUE(in.at_end());
  in.expect_end("nothing");
  protocol_error([&] { in.read_u8("type"); });
}

}  // namespace
