// Replays every file of a fuzz corpus directory through LLVMFuzzerTestOneInput, so fuzz targets
// run in every ordinary test run and never rot. A crash or an uncaught exception fails the test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (files.empty()) {
    std::fprintf(stderr, "corpus %s is empty: a replay of nothing proves nothing\n", argv[1]);
    return 1;
  }
  for (const auto& path : files) {
    const std::string bytes = sabot::test::read_file(path);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replayed %zu corpus files from %s\n", files.size(), argv[1]);
  return 0;
}
