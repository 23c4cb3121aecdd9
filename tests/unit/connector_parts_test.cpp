// The connector's pure parts: the end-LSN stop, the status-update clock and the reconnect
// backoff. The stream loop that combines them is covered by the integration tests.
#include <gtest/gtest.h>

#include <chrono>

#include "engine/end_position.hpp"
#include "engine/feedback_clock.hpp"
#include "engine/reconnect_backoff.hpp"
#include "sabot/error.hpp"

namespace {

using namespace std::chrono_literals;
using sabot::CdcError;
using sabot::ErrorKind;
using sabot::Lsn;
using sabot::engine::EndPosition;
using sabot::engine::FeedbackClock;
using sabot::engine::ReconnectBackoff;

TEST(EndPositionTest, WithoutAnEndNothingStops) {
  EndPosition end(std::nullopt);
  EXPECT_FALSE(end.stops_before(Lsn(~0ull), /*in_transaction=*/false));
  end.after_decoded(Lsn(~0ull), false);
  end.after_keepalive(Lsn(~0ull), false, false);
  EXPECT_FALSE(end.reached());
  EXPECT_FALSE(end.needs_server_position(false));
}

TEST(EndPositionTest, XLogDataPastTheEndBetweenTransactionsIsNotDecoded) {
  EndPosition end(Lsn(100));
  // At the end: still decoded. Inside a transaction: it is finished first.
  EXPECT_FALSE(end.stops_before(Lsn(100), false));
  EXPECT_FALSE(end.stops_before(Lsn(101), /*in_transaction=*/true));
  EXPECT_FALSE(end.reached());
  EXPECT_TRUE(end.stops_before(Lsn(101), false));
  EXPECT_TRUE(end.reached());
}

TEST(EndPositionTest, ACommitAtTheEndReachesIt) {
  EndPosition end(Lsn(100));
  end.after_decoded(Lsn(100), /*in_transaction=*/true);
  EXPECT_FALSE(end.reached());
  end.after_decoded(Lsn(99), false);
  EXPECT_FALSE(end.reached());
  end.after_decoded(Lsn(100), false);
  EXPECT_TRUE(end.reached());
}

TEST(EndPositionTest, KeepaliveAtTheEndReachesItOnlyWithNothingInFlight) {
  EndPosition end(Lsn(100));
  end.after_keepalive(Lsn(100), /*in_transaction=*/true, /*has_ready=*/false);
  end.after_keepalive(Lsn(100), false, /*has_ready=*/true);
  end.after_keepalive(Lsn(99), false, false);
  EXPECT_FALSE(end.reached());
  end.after_keepalive(Lsn(100), false, false);
  EXPECT_TRUE(end.reached());
}

TEST(EndPositionTest, AsksTheServerOnlyBetweenTransactions) {
  EndPosition end(Lsn(100));
  EXPECT_TRUE(end.needs_server_position(false));
  EXPECT_FALSE(end.needs_server_position(true));
}

TEST(FeedbackClockTest, ReportsTheWatermarkAsFlushNeverWhatWasReceived) {
  const auto busy = FeedbackClock::positions(/*received=*/Lsn(500), /*watermark=*/Lsn(300));
  EXPECT_EQ(busy.write, Lsn(500));
  EXPECT_EQ(busy.flush, Lsn(300));
  EXPECT_EQ(busy.apply, Lsn(300));
  // An idle stream's watermark can pass what was received (a keepalive's WAL end confirmed).
  const auto idle = FeedbackClock::positions(Lsn(300), Lsn(400));
  EXPECT_EQ(idle.write, Lsn(400));
  EXPECT_EQ(idle.flush, Lsn(400));
}

TEST(FeedbackClockTest, PeriodicUpdateIsDueOneIntervalAfterTheLast) {
  FeedbackClock clock(1000ms);
  const auto t0 = FeedbackClock::Clock::time_point{} + 1h;
  clock.restart(t0);
  EXPECT_FALSE(clock.periodic_due(t0 + 999ms));
  EXPECT_TRUE(clock.periodic_due(t0 + 1000ms));
  EXPECT_EQ(clock.until_periodic(t0 + 400ms), 600ms);
  clock.sent(Lsn(1), t0 + 1500ms);
  EXPECT_FALSE(clock.periodic_due(t0 + 2000ms));
  EXPECT_EQ(clock.until_periodic(t0 + 2600ms), -100ms);
}

TEST(FeedbackClockTest, KnowsWhetherTheWatermarkWasSent) {
  FeedbackClock clock(1000ms);
  EXPECT_FALSE(clock.unsent_acknowledgement(Lsn()));
  EXPECT_TRUE(clock.unsent_acknowledgement(Lsn(10)));
  clock.sent(Lsn(10), FeedbackClock::Clock::now());
  EXPECT_FALSE(clock.unsent_acknowledgement(Lsn(10)));
  // A new session does not forget what was sent.
  clock.restart(FeedbackClock::Clock::now());
  EXPECT_FALSE(clock.unsent_acknowledgement(Lsn(10)));
}

TEST(FeedbackClockTest, OnePingOutstandingUntilTheServerIsHeard) {
  FeedbackClock clock(1000ms);
  EXPECT_FALSE(clock.ping_outstanding());
  clock.ping_sent();
  EXPECT_TRUE(clock.ping_outstanding());
  clock.heard_from_server();
  EXPECT_FALSE(clock.ping_outstanding());
  clock.ping_sent();
  clock.restart(FeedbackClock::Clock::now());
  EXPECT_FALSE(clock.ping_outstanding());
}

sabot::ReconnectPolicy policy(int max_attempts) {
  sabot::ReconnectPolicy p;
  p.initial_delay = 100ms;
  p.max_delay = 350ms;
  p.max_attempts = max_attempts;
  return p;
}

void expect_wait_around(ReconnectBackoff& backoff, std::chrono::milliseconds delay) {
  for (int i = 0; i < 20; ++i) {
    const auto wait = backoff.next_wait();
    EXPECT_GE(wait.count(), delay.count() * 3 / 4) << "delay " << delay.count();
    EXPECT_LE(wait.count(), delay.count() * 5 / 4) << "delay " << delay.count();
  }
}

TEST(ReconnectBackoffTest, DoublesTheJitteredDelayUpToTheMaximum) {
  const CdcError lost(ErrorKind::Connection, "lost");
  ReconnectBackoff backoff(policy(0));
  backoff.restart();
  expect_wait_around(backoff, 100ms);
  ASSERT_TRUE(backoff.retry_after(lost, 1));
  expect_wait_around(backoff, 200ms);
  ASSERT_TRUE(backoff.retry_after(lost, 2));
  expect_wait_around(backoff, 350ms);
  ASSERT_TRUE(backoff.retry_after(lost, 1000));  // 0 attempts: never gives up
  expect_wait_around(backoff, 350ms);
  backoff.restart();
  expect_wait_around(backoff, 100ms);
}

TEST(ReconnectBackoffTest, GivesUpOnPermanentErrorsAndAfterMaxAttempts) {
  ReconnectBackoff backoff(policy(3));
  const CdcError lost(ErrorKind::Connection, "lost");
  const CdcError auth(ErrorKind::Authentication, "bad password");
  EXPECT_TRUE(backoff.applies_to(lost));
  EXPECT_FALSE(backoff.applies_to(auth));
  EXPECT_FALSE(backoff.retry_after(auth, 1));
  EXPECT_TRUE(backoff.retry_after(lost, 2));
  EXPECT_FALSE(backoff.retry_after(lost, 3));
}

TEST(ReconnectBackoffTest, DisabledAppliesToNothing) {
  sabot::ReconnectPolicy off = policy(0);
  off.enabled = false;
  EXPECT_FALSE(ReconnectBackoff(off).applies_to(CdcError(ErrorKind::Connection, "lost")));
}

}  // namespace
