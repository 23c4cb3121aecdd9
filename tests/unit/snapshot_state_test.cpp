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

std::vector<KeyValues> keys(std::initializer_list<const char*> texts) {
  std::vector<KeyValues> out;
  for (const char* t : texts) out.push_back(key(t));
  return out;
}

class SnapshotStateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path());
    SnapshotState state(path_);
    state.append_plan("initial", {"public.t"});
    state.append_progress("initial", "public.t", keys({"1", "2", "3"}), EventPosition{Lsn(100), 2});
    state.append_progress("initial", "public.t", keys({"4", "5", "6"}), EventPosition{Lsn(100), 5});
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
