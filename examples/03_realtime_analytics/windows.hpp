// Time windows on commit time, aligned to the Unix epoch.
//
// A window spec has a size and a slide. Windows start at every multiple of the slide and last
// `size`: with slide == size they tile time (tumbling windows), with slide < size they overlap
// (sliding, or "hopping", windows) and each instant falls into size / slide of them. A window is
// half-open, [start, end): a commit exactly at `end` belongs to the next window.
#pragma once

#include <chrono>
#include <compare>
#include <sabot/change_event.hpp>
#include <string>
#include <vector>

namespace sabot::examples::analytics {

struct WindowSpec {
  std::chrono::microseconds size{0};
  std::chrono::microseconds slide{0};

  static WindowSpec tumbling(std::chrono::microseconds size) { return {size, size}; }
  static WindowSpec sliding(std::chrono::microseconds size, std::chrono::microseconds slide) {
    return {size, slide};
  }
  bool is_tumbling() const { return size == slide; }
  // Throws std::invalid_argument unless size and slide are positive and slide <= size.
  void validate() const;
};

struct Window {
  Timestamp start;
  Timestamp end;
  auto operator<=>(const Window&) const = default;
};

// Every window of `spec` that contains t, earliest start first.
std::vector<Window> windows_containing(Timestamp t, const WindowSpec& spec);

// "12:00:05" or "12:00:05.250" (UTC), for display.
std::string clock_time(Timestamp t);
// "[12:00:05, 12:00:10)"
std::string describe(const Window& window);

}  // namespace sabot::examples::analytics
