// The consistency rules of table snapshots (core/snapshot_window.hpp), on hand-made snapshots.
#include "core/snapshot_window.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sabot/error.hpp"

using sabot::core::ChunkWindow;
using sabot::core::RecentTransactions;
using sabot::core::XidSnapshot;

namespace {

std::string key(std::string_view text) {
  std::string k;
  sabot::core::append_key_part(k, &text);
  return k;
}

}  // namespace

TEST(XidSnapshot, ParsesWhatPgCurrentSnapshotPrints) {
  const XidSnapshot s = XidSnapshot::parse("100:105:103,101");
  EXPECT_EQ(s.xmin, 100u);
  EXPECT_EQ(s.xmax, 105u);
  EXPECT_EQ(s.xip, (std::vector<uint64_t>{101, 103}));
  EXPECT_EQ(XidSnapshot::parse("7:7:").xip.size(), 0u);
  EXPECT_THROW(XidSnapshot::parse("7:x:"), sabot::CdcError);
  EXPECT_THROW(XidSnapshot::parse("7"), sabot::CdcError);
}

TEST(XidSnapshot, VisibilityFollowsXminXmaxAndTheInProgressList) {
  const XidSnapshot s = XidSnapshot::parse("100:105:101,103");
  EXPECT_TRUE(s.visible(99));    // before xmin: committed before the snapshot
  EXPECT_TRUE(s.visible(100));   // between, not in progress
  EXPECT_FALSE(s.visible(101));  // in progress when taken
  EXPECT_TRUE(s.visible(102));
  EXPECT_FALSE(s.visible(103));
  EXPECT_FALSE(s.visible(105));  // started after
  EXPECT_FALSE(s.visible(4000));
}

TEST(XidSnapshot, StreamIdsArePlacedInTheSnapshotsEpoch) {
  // Epoch 1, just after wraparound: stream xid 0xFFFFFFF0 is from the end of epoch 0 (visible),
  // stream xid 20 is epoch 1's 20 (after xmax: not visible).
  const uint64_t base = uint64_t{1} << 32;
  const XidSnapshot s = XidSnapshot::parse(std::to_string(base + 5) + ":" + std::to_string(base + 10) + ":");
  EXPECT_TRUE(s.visible(0xFFFFFFF0u));
  EXPECT_TRUE(s.visible(7));
  EXPECT_FALSE(s.visible(20));
}

TEST(ChunkWindow, OnlyKeysOfTransactionsTheSnapshotDoesNotSeeAreSuperseded) {
  const XidSnapshot s = XidSnapshot::parse("100:105:101");
  ChunkWindow window;
  window.note(102, key("a"));  // visible: the chunk has its result
  window.note(101, key("b"));  // in progress at the snapshot: newer than the chunk
  window.note(106, key("c"));  // after the snapshot
  window.note(106, key("c"));
  const auto superseded = window.superseded(s);
  EXPECT_EQ(superseded.count(key("a")), 0u);
  EXPECT_EQ(superseded.at(key("b")), 1u);
  EXPECT_EQ(superseded.at(key("c")), 2u);
}

TEST(ChunkWindow, ATransactionDeliveredBeforeTheLowWatermarkButUnseenIsARace) {
  RecentTransactions recent(4);
  recent.add(101);
  const uint64_t low = recent.count();
  recent.add(102);
  const XidSnapshot s = XidSnapshot::parse("100:105:101");
  EXPECT_TRUE(ChunkWindow::raced(s, recent, low));
  const XidSnapshot later = XidSnapshot::parse("100:105:102");
  EXPECT_FALSE(ChunkWindow::raced(later, recent, low));  // 102 came after L: the window has it
}

TEST(ChunkWindow, AnUnseenChangeWithoutAllItsValuesMeansReadingTheChunkAgain) {
  const XidSnapshot s = XidSnapshot::parse("100:105:101");
  ChunkWindow seen;
  seen.note(102, key("a"));
  seen.note_incomplete(102);  // visible: the chunk's read already has the new row whole
  EXPECT_FALSE(seen.lacks_values(s));
  ChunkWindow complete;
  complete.note(106, key("a"));  // unseen but whole: the update alone rebuilds the row
  EXPECT_FALSE(complete.lacks_values(s));
  ChunkWindow unseen_in_progress;
  unseen_in_progress.note_incomplete(101);
  EXPECT_TRUE(unseen_in_progress.lacks_values(s));
  ChunkWindow unseen_after;
  unseen_after.note_incomplete(106);
  EXPECT_TRUE(unseen_after.lacks_values(s));
}

TEST(ChunkWindow, KeysKeepNullsAndSeparatorsApart) {
  std::string a, b, c;
  const std::string_view x = "x\x1f", y = "y", empty;
  sabot::core::append_key_part(a, &x);
  sabot::core::append_key_part(a, &y);
  sabot::core::append_key_part(b, &empty);
  sabot::core::append_key_part(c, nullptr);
  EXPECT_NE(b, c);  // '' and NULL differ
  EXPECT_NE(a, key("x") + key("\x1fy"));
}
