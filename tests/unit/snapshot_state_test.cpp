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
