// The stream command's progress line (apps/sabot-cdc/progress.hpp): when it may be drawn at all,
// and what it says before anything was confirmed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../../apps/sabot-cdc/progress.hpp"

using namespace sabot;
using namespace sabot::cli;

TEST(ProgressAllowed, OnlyWhenStderrIsATerminalThatIsNotAlsoStdout) {
  EXPECT_FALSE(progress_allowed(/*stderr_is_tty=*/true, /*stdout_is_tty=*/true,
                                /*same_terminal=*/true));
  EXPECT_TRUE(progress_allowed(true, /*stdout_is_tty=*/false, false));  // stdout to a file/pipe
  EXPECT_TRUE(progress_allowed(true, true, /*same_terminal=*/false));   // another terminal
  EXPECT_FALSE(progress_allowed(/*stderr_is_tty=*/false, false, false));
  EXPECT_FALSE(progress_allowed(false, true, false));
}

TEST(ProgressAllowed, SameFileComparesDeviceInodeAndDeviceNumber) {
  struct stat a {};
  a.st_dev = 5;
  a.st_ino = 9;
  a.st_rdev = 0x8803;
  struct stat b = a;
  EXPECT_TRUE(same_file(a, b));
  b.st_rdev = 0x8804;  // /dev/pts/3 vs /dev/pts/4
  EXPECT_FALSE(same_file(a, b));
  b = a;
  b.st_ino = 10;
  EXPECT_FALSE(same_file(a, b));
}

TEST(ProgressLine, SaysNotYetBeforeAnythingWasConfirmed) {
  StreamStats stats;
  stats.events = 2;
  stats.received_lsn = *Lsn::parse("0/354DFE8");
  EXPECT_EQ(progress_line(stats, 0), "2 events  0 ev/s  at 0/354DFE8  confirmed not yet");
  stats.flushed_lsn = *Lsn::parse("0/354DF00");
  EXPECT_EQ(progress_line(stats, 12.4), "2 events  12 ev/s  at 0/354DFE8  confirmed 0/354DF00");
}

TEST(ProgressLine, FinalLineCountsInEnglish) {
  StreamStats stats;
  stats.events = 1;
  stats.transactions = 1;
  EXPECT_EQ(final_progress_line(stats), "1 event in 1 transaction, confirmed not yet");
  stats.events = 3;
  stats.transactions = 2;
  stats.flushed_lsn = *Lsn::parse("0/10");
  EXPECT_EQ(final_progress_line(stats), "3 events in 2 transactions, confirmed 0/10");
}
