#include "core/ack_tracker.hpp"

#include <gtest/gtest.h>

#include "sabot/error.hpp"

using sabot::Lsn;
using sabot::core::AckTracker;

TEST(AckTracker, WatermarkIsTheContiguousAcknowledgedPrefix) {
  AckTracker acks(Lsn(100));
  auto t1 = acks.open_transaction();
  acks.add_batch(t1, 1);
  acks.commit_transaction(t1, Lsn(200));
  auto t2 = acks.open_transaction();
  acks.add_batch(t2, 2);
  acks.add_batch(t2, 3);
  acks.commit_transaction(t2, Lsn(300));
  auto t3 = acks.open_transaction();
  acks.add_batch(t3, 4);
  acks.commit_transaction(t3, Lsn(400));

  EXPECT_EQ(acks.watermark(), Lsn(100));
  EXPECT_TRUE(acks.acknowledge(4));  // out of order: nothing moves
  EXPECT_EQ(acks.watermark(), Lsn(100));
  EXPECT_TRUE(acks.acknowledge(2));
  EXPECT_EQ(acks.watermark(), Lsn(100));
  EXPECT_TRUE(acks.acknowledge(1));
  EXPECT_EQ(acks.watermark(), Lsn(200));  // t2 still has batch 3 outstanding
  EXPECT_FALSE(acks.acknowledge(1));      // twice: ignored
  EXPECT_TRUE(acks.acknowledge(3));
  EXPECT_EQ(acks.watermark(), Lsn(400));
  EXPECT_TRUE(acks.idle());
}

TEST(AckTracker, OpenTransactionHoldsTheWatermarkEvenWhenItsBatchesAreAcked) {
  AckTracker acks;
  auto t1 = acks.open_transaction();
  acks.add_batch(t1, 1);
  acks.acknowledge(1);
  EXPECT_EQ(acks.watermark(), Lsn());
  EXPECT_FALSE(acks.idle());
  acks.advance_if_idle(Lsn(999));  // not idle: no keepalive advance
  EXPECT_EQ(acks.watermark(), Lsn());
  acks.commit_transaction(t1, Lsn(50));
  EXPECT_EQ(acks.watermark(), Lsn(50));
}

TEST(AckTracker, FilteredOutTransactionsAndIdleKeepalivesAdvance) {
  AckTracker acks;
  auto t = acks.open_transaction();
  acks.commit_transaction(t, Lsn(70));  // no batches: nothing to wait for
  EXPECT_EQ(acks.watermark(), Lsn(70));
  acks.advance_if_idle(Lsn(90));
  EXPECT_EQ(acks.watermark(), Lsn(90));
  acks.advance_if_idle(Lsn(80));  // never backwards
  EXPECT_EQ(acks.watermark(), Lsn(90));
}

TEST(AckTracker, AbandonedOpenTransactionNoLongerBlocks) {
  AckTracker acks;
  auto t1 = acks.open_transaction();
  acks.add_batch(t1, 1);
  acks.commit_transaction(t1, Lsn(10));
  auto t2 = acks.open_transaction();
  acks.add_batch(t2, 2);
  acks.abandon_open_transactions();
  EXPECT_FALSE(acks.acknowledge(2));
  EXPECT_TRUE(acks.acknowledge(1));
  EXPECT_EQ(acks.watermark(), Lsn(10));
  EXPECT_TRUE(acks.idle());
}

TEST(AckTracker, UnknownTicketIsAnInternalError) {
  AckTracker acks(Lsn(100));
  const auto t1 = acks.open_transaction();
  acks.commit_transaction(t1, Lsn(200));  // done: t1 is no longer open
  try {
    acks.commit_transaction(t1 + 5, Lsn(300));
    ADD_FAILURE() << "a ticket never handed out was accepted";
  } catch (const sabot::CdcError& e) {
    EXPECT_EQ(e.kind(), sabot::ErrorKind::Internal) << e.what();
  }
  EXPECT_EQ(acks.watermark(), Lsn(200));
}
