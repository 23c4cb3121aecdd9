// Test support: small string checks shared by the tests.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sabot::test {

// Whether `needle` occurs in `haystack`. An empty needle is always found, so it proves nothing:
// callers pass the text they expect.
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The lines of `text` without their '\n' (a final line without one counts too).
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace sabot::test
