// The snapshot's progress file (engine/snapshot_state.hpp): what a restart resumes after.
#include "engine/snapshot_state.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "files.hpp"

using sabot::EventPosition;
using sabot::Lsn;
using sabot::engine::KeyValues;
using sabot::engine::SnapshotState;

namespace {

KeyValues key(const char* text) { return KeyValues{std::string(text)}; }

// A batch of reads of public.t keyed by "id", the last one at (lsn, last_seq).
std::vector<sabot::ChangeEvent> reads(std::initializer_list<const char*> ids, uint64_t lsn,
                                      uint32_t last_seq) {
  static const std::vector<std::string> kName = {"id"};
  std::vector<sabot::ChangeEvent> out;
  uint32_t seq = last_seq + 1 - static_cast<uint32_t>(ids.size());
  for (const char* id : ids) {
    sabot::ChangeEvent e;
    e.op = sabot::Op::Read;
    e.commit_lsn = Lsn(lsn);
    e.seq = seq++;
    sabot::Column column;
    column.name = kName.front();
    column.value = sabot::Value::text(id);
    e.columns.push_back(column);
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<std::string> kKey = {"id"};

class SnapshotStateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path());
    SnapshotState state(path_);
    state.append_plan("initial", {"public.t"});
    state.append_progress("initial", "public.t", reads({"1", "2", "3"}, 100, 2), kKey);
    state.append_progress("initial", "public.t", reads({"4", "5", "6"}, 100, 5), kKey);
  }
  std::optional<KeyValues> resume_after(EventPosition durable) const {
    const auto plans = SnapshotState(path_).resolve(durable);
    if (plans.size() != 1) return std::nullopt;
    const auto it = plans.front().progress.find("public.t");
    if (it == plans.front().progress.end()) return std::nullopt;
    return it->second.after;
  }
  sabot::test::TempDir dir_{"snapshot-state"};
  std::string path_ = dir_.path() + "/state";
};

}  // namespace

TEST_F(SnapshotStateFile, ResumesAfterTheLastDurableBatch) {
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 5}), key("6"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 2}), key("3"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(99), 0}), std::nullopt);  // nothing durable yet
}

TEST_F(SnapshotStateFile, ACheckpointInsideABatchResumesAfterItsLastHeldRow) {
  // The sink holds seq 0..4: the second batch only in part (a write cut short by kill -9).
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 4}), key("5"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 0}), key("1"));
}

TEST_F(SnapshotStateFile, ATornLastLineIsIgnoredAndCutOff) {
  {
    std::ofstream out(path_, std::ios::app);
    out << "{\"plan\":\"initial\",\"table\":\"public.t\",\"after\":[\"9";  // no newline
  }
  EXPECT_EQ(resume_after(EventPosition{Lsn(200), 0}), key("6"));
  SnapshotState(path_).append_done("initial", "public.t", EventPosition{Lsn(100), 5});
  const auto plans = SnapshotState(path_).resolve(EventPosition{Lsn(200), 0});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans.front().progress.at("public.t").done);
}

// A start keeps only what it resolved: batches handed out before a crash and never acknowledged
// are read again under new positions, and must not count once a later start's durable position
// has passed theirs (regular changes are acknowledged meanwhile).
TEST_F(SnapshotStateFile, AStartForgetsBatchesThatNeverBecameDurable) {
  // Start 1: only the first batch (keys 1-3) is durable; the second (4-6) is read again.
  {
    SnapshotState state(path_);
    const auto plans = state.resume(EventPosition{Lsn(100), 2});
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_EQ(plans.front().progress.at("public.t").after, key("3"));
  }
  // Start 2: a change at LSN 200 was acknowledged, but no batch of the re-read yet. Counting the
  // old second batch (LSN 100) would skip rows 4-6, which no sink holds.
  EXPECT_EQ(resume_after(EventPosition{Lsn(200), 0}), key("3"));
  // The re-read batches count once durable, as before.
  SnapshotState(path_).append_progress("initial", "public.t", reads({"4", "5"}, 300, 1), kKey);
  EXPECT_EQ(resume_after(EventPosition{Lsn(300), 1}), key("5"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(300), 0}), key("4"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(299), 0}), key("3"));
}

TEST_F(SnapshotStateFile, AStartRewritesTheFileWithoutTheKeysOfEveryRead) {
  SnapshotState(path_).append_done("initial", "public.t", EventPosition{Lsn(100), 5});
  const auto before = std::filesystem::file_size(path_);
  {
    SnapshotState state(path_);
    const auto plans = state.resume(EventPosition{Lsn(150), 0});
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_TRUE(plans.front().progress.at("public.t").done);
  }
  std::ifstream in(path_);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_LT(std::filesystem::file_size(path_), before);
  EXPECT_EQ(text.find("\"keys\""), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  // What the rewritten file says is what the old one said, at every later position.
  const auto plans = SnapshotState(path_).resolve(EventPosition{Lsn(150), 0});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans.front().progress.at("public.t").done);
  EXPECT_EQ(plans.front().tables, std::vector<std::string>{"public.t"});
  EXPECT_TRUE(SnapshotState(path_).has_plan("initial"));
}

TEST_F(SnapshotStateFile, AStartWithACheckpointInsideABatchKeepsWhereItEnds) {
  {
    SnapshotState state(path_);
    EXPECT_EQ(state.resume(EventPosition{Lsn(100), 4}).front().progress.at("public.t").after,
              key("5"));
  }
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 4}), key("5"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(500), 0}), key("5"));
}

TEST_F(SnapshotStateFile, AFinishedSnapshotsCompactFileIsLeftAsItIs) {
  SnapshotState(path_).append_done("initial", "public.t", EventPosition{Lsn(100), 5});
  SnapshotState(path_).resume(EventPosition{Lsn(150), 0});
  const auto compacted = std::filesystem::last_write_time(path_);
  std::filesystem::permissions(path_, std::filesystem::perms::owner_read);
  // Nothing to rewrite: a later start neither needs nor tries to write the file.
  const auto plans = SnapshotState(path_).resume(EventPosition{Lsn(900), 0});
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans.front().progress.at("public.t").done);
  EXPECT_EQ(std::filesystem::last_write_time(path_), compacted);
}

// The rewritten lines keep the positions of the lines they came from: a later start whose
// durable position is lower (a sink's checkpoint gone, the slot's own position behind it) still
// counts what was durable there.
TEST_F(SnapshotStateFile, ARewriteKeepsThePositionsOfTheLinesItCameFrom) {
  SnapshotState(path_).resume(EventPosition{Lsn(500), 0});  // both batches (LSN 100) durable
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 5}), key("6"));
  EXPECT_EQ(resume_after(EventPosition{Lsn(99), 0}), std::nullopt);
  // Inside a batch: the position of the last read the sink holds.
  SnapshotState(path_).append_progress("initial", "public.t", reads({"7", "8"}, 600, 1), kKey);
  SnapshotState(path_).resume(EventPosition{Lsn(600), 0});
  EXPECT_EQ(resume_after(EventPosition{Lsn(600), 0}), key("7"));
  // One line per table: below that position the table is read again from its start (reads are
  // upserts), never resumed past rows no sink holds.
  EXPECT_EQ(resume_after(EventPosition{Lsn(599), 0}), std::nullopt);
}

TEST_F(SnapshotStateFile, ARewriteKeepsTheFilesPermissionsAndALinkToIt) {
  const std::string real = dir_.path() + "/real-state";
  std::filesystem::rename(path_, real);
  std::filesystem::create_symlink(real, path_);
  std::filesystem::permissions(real, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  SnapshotState(path_).resume(EventPosition{Lsn(100), 2});
  EXPECT_TRUE(std::filesystem::is_symlink(path_));
  EXPECT_EQ(std::filesystem::status(real).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(resume_after(EventPosition{Lsn(100), 2}), key("3"));
}
