#include "windows.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sabot::examples::analytics {

namespace {

// Division rounding towards minus infinity (C++ rounds towards zero).
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

void WindowSpec::validate() const {
  if (size.count() <= 0 || slide.count() <= 0 || slide > size) {
    throw std::invalid_argument("a window needs a positive size and a slide no larger than it");
  }
}

std::vector<Window> windows_containing(Timestamp t, const WindowSpec& spec) {
  const int64_t micros = t.time_since_epoch().count();
  const int64_t size = spec.size.count();
  const int64_t slide = spec.slide.count();
  // Window k is [k*slide, k*slide + size): it contains t when t - size < k*slide <= t.
  const int64_t first = floor_div(micros - size, slide) + 1;
  const int64_t last = floor_div(micros, slide);
  std::vector<Window> windows;
  for (int64_t k = first; k <= last; ++k) {
    const Timestamp start{std::chrono::microseconds(k * slide)};
    windows.push_back({start, start + spec.size});
  }
  return windows;
}

std::string clock_time(Timestamp t) {
  const std::string iso = format_iso8601(t);  // 2026-11-26T01:29:12.672064Z
  std::string clock = iso.substr(11, 8);
  const std::string millis = iso.substr(20, 3);
  if (iso.substr(20, 6) != "000000") clock += "." + millis;
  return clock;
}

std::string describe(const Window& window) {
  return fmt::format("[{}, {})", clock_time(window.start), clock_time(window.end));
}

}  // namespace sabot::examples::analytics
