// Test support: reading whole files and scratch directories under the system temp directory.
// Header-only, standard library only, so the fuzz replay programs can use it too.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sabot::test {

// The bytes of the file at `path`; throws std::runtime_error naming it if it cannot be opened.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The bytes of the file at `path`, or "" if it does not exist (yet): for polling a file another
// process is about to create.
inline std::string read_file_if_present(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored) ? read_file(path) : std::string();
}

// How many entries the directory holds; 0 if it does not exist.
inline size_t entry_count(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// A directory path of this process's own, <temp>/sabot-<name>-<pid>: anything left there by an
// earlier run is removed first, and the directory with all in it when the object goes. The
// directory is not created: the code under test (a spill store, say) usually does that.
class TempDir {
 public:
  explicit TempDir(std::string_view name)
      : path_((std::filesystem::temp_directory_path() /
               ("sabot-" + std::string(name) + "-" + std::to_string(::getpid())))
                  .string()) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sabot::test
