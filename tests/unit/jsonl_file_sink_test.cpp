// The JSON Lines file sink's errors: a disk that refuses the write is LocalIo, naming the path
// and the system's reason; a file that is not ours stays Config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sabot/error.hpp"
#include "sabot/jsonl.hpp"

using sabot::CdcError;
using sabot::ErrorKind;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(JsonlFileSink, FullDiskIsALocalIoErrorNamingThePathAndReason) {
  // /dev/full opens like an empty file and fails every write with ENOSPC.
  auto sink = sabot::make_jsonl_file_sink("/dev/full");
  sabot::ChangeBatch batch;
  sabot::ChangeEvent event;
  event.op = sabot::Op::Insert;
  event.schema = "public";
  event.table = "t";
  batch.events.push_back(event);
  try {
    sink->write(batch);
    ADD_FAILURE() << "a write to /dev/full succeeded";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::LocalIo) << e.what();
    EXPECT_TRUE(contains(e.what(), "/dev/full")) << e.what();
    EXPECT_TRUE(contains(e.what(), "No space left on device")) << e.what();
  }
}

TEST(JsonlFileSink, AFileThatIsNotOursIsAConfigError) {
  const std::string path = ::testing::TempDir() + "sabot-not-ours-" + std::to_string(getpid());
  std::ofstream(path) << "some other program's notes\n";
  try {
    sabot::make_jsonl_file_sink(path);
    ADD_FAILURE() << "appended to a file that is not ours";
  } catch (const CdcError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config) << e.what();
  }
  unlink(path.c_str());
}
