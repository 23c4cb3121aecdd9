#include "decode/copy_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "sabot/error.hpp"

namespace {

using sabot::CdcError;
using sabot::ErrorKind;
using sabot::Lsn;
using sabot::decode::CopyFrame;
using sabot::decode::parse_copy_frame;
using sabot::decode::PrimaryKeepalive;
using sabot::decode::XLogData;

void append_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

std::string xlogdata_frame(uint64_t start, uint64_t end, int64_t time, std::string_view data) {
  std::string out = "w";
  append_u64(out, start);
  append_u64(out, end);
  append_u64(out, static_cast<uint64_t>(time));
  out.append(data);
  return out;
}

std::string keepalive_frame(uint64_t end, int64_t time, uint8_t reply) {
  std::string out = "k";
  append_u64(out, end);
  append_u64(out, static_cast<uint64_t>(time));
  out.push_back(static_cast<char>(reply));
  return out;
}

// The CdcError message parse_copy_frame throws for `frame`; fails the test if it parses or
// throws anything else.
std::string protocol_error(const std::string& frame) {
  try {
    parse_copy_frame(frame);
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    return e.what();
  }
  ADD_FAILURE() << "expected a CdcError for a frame of " << frame.size() << " bytes";
  return {};
}

TEST(CopyFrameTest, XLogDataCarriesItsHeaderAndTheRestAsData) {
  const std::string frame =
      xlogdata_frame(0x16B374D848ull, 0x16B3750000ull, 745000000123456, "B\x01payload");
  const CopyFrame parsed = parse_copy_frame(frame);
  ASSERT_TRUE(std::holds_alternative<XLogData>(parsed));
  const auto& x = std::get<XLogData>(parsed);
  EXPECT_EQ(x.wal_start, *Lsn::parse("16/B374D848"));
  EXPECT_EQ(x.wal_end, *Lsn::parse("16/B3750000"));
  EXPECT_EQ(x.send_time, 745000000123456);
  EXPECT_EQ(x.data, std::string_view("B\x01payload"));
  // A view into the frame, not a copy.
  EXPECT_EQ(x.data.data(), frame.data() + 25);
}

TEST(CopyFrameTest, XLogDataWithNoDataIsAHeaderAlone) {
  const std::string frame = xlogdata_frame(1, 2, 3, "");
  ASSERT_EQ(frame.size(), sabot::decode::kXLogDataHeaderSize);
  const auto x = std::get<XLogData>(parse_copy_frame(frame));
  EXPECT_EQ(x.wal_start, Lsn(1));
  EXPECT_EQ(x.wal_end, Lsn(2));
  EXPECT_TRUE(x.data.empty());
}

TEST(CopyFrameTest, NegativeSendTimeKeepsItsSign) {
  const auto x = std::get<XLogData>(parse_copy_frame(xlogdata_frame(1, 2, -5, "d")));
  EXPECT_EQ(x.send_time, -5);
}

TEST(CopyFrameTest, KeepaliveWithoutReplyRequest) {
  const std::string frame = keepalive_frame(0xABCDEFull, 42, 0);
  ASSERT_EQ(frame.size(), sabot::decode::kPrimaryKeepaliveSize);
  const CopyFrame parsed = parse_copy_frame(frame);
  ASSERT_TRUE(std::holds_alternative<PrimaryKeepalive>(parsed));
  const auto& k = std::get<PrimaryKeepalive>(parsed);
  EXPECT_EQ(k.wal_end, Lsn(0xABCDEFull));
  EXPECT_EQ(k.send_time, 42);
  EXPECT_FALSE(k.reply_requested);
}

TEST(CopyFrameTest, KeepaliveAskingForAReply) {
  const auto k = std::get<PrimaryKeepalive>(parse_copy_frame(keepalive_frame(7, 8, 1)));
  EXPECT_EQ(k.wal_end, Lsn(7));
  EXPECT_TRUE(k.reply_requested);
}

TEST(CopyFrameTest, TrailingBytesAfterAKeepaliveAreRejected) {
  const std::string message = protocol_error(keepalive_frame(7, 8, 0) + "xy");
  EXPECT_NE(message.find("primary keepalive message"), std::string::npos) << message;
  EXPECT_NE(message.find("2 unexpected trailing bytes"), std::string::npos) << message;
}

TEST(CopyFrameTest, ShortKeepaliveNamesTheFrameAndTheField) {
  const std::string frame = keepalive_frame(7, 8, 0);
  const std::string message = protocol_error(frame.substr(0, frame.size() - 1));
  EXPECT_NE(message.find("primary keepalive message (replyRequested)"), std::string::npos)
      << message;
  const std::string shorter = protocol_error(frame.substr(0, 5));
  EXPECT_NE(shorter.find("primary keepalive message (walEnd)"), std::string::npos) << shorter;
}

TEST(CopyFrameTest, ShortXLogDataHeaderNamesTheFrameAndTheField) {
  const std::string frame = xlogdata_frame(1, 2, 3, "");
  const std::string message = protocol_error(frame.substr(0, 24));
  EXPECT_NE(message.find("XLogData header (sendTime)"), std::string::npos) << message;
  EXPECT_NE(message.find("needs 8 bytes at offset 17, 7 left"), std::string::npos) << message;
  const std::string type_only = protocol_error("w");
  EXPECT_NE(type_only.find("XLogData header (dataStart)"), std::string::npos) << type_only;
}

TEST(CopyFrameTest, UnknownFrameTypeIsNamed) {
  const std::string message = protocol_error("r" + std::string(33, '\0'));
  EXPECT_NE(message.find("unknown replication frame type 0x72"), std::string::npos) << message;
  EXPECT_NE(message.find("34 bytes"), std::string::npos) << message;
}

TEST(CopyFrameTest, EmptyMessageIsRejected) {
  const std::string message = protocol_error("");
  EXPECT_NE(message.find("empty CopyData message"), std::string::npos) << message;
}

}  // namespace
