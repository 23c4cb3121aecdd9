// "1 batch", "2 batches": counts in the examples' messages read as English.
#pragma once

#include <cstdint>

namespace sabot::examples {

inline const char* plural(uint64_t count, const char* one, const char* many) {
  return count == 1 ? one : many;
}

}  // namespace sabot::examples
