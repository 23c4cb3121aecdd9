// A live progress line on a terminal's stderr: events/s and stream position, redrawn once a second.
#pragma once

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "sabot/connector.hpp"

namespace sabot::cli {

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}

  void update(const StreamStats& stats) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::seconds(1)) return;
    const double seconds = std::chrono::duration<double>(now - last_draw_).count();
    const double rate = last_draw_.time_since_epoch().count() == 0
                            ? 0.0
                            : static_cast<double>(stats.events - last_events_) / seconds;
    std::fprintf(stderr, "\r\033[K%s", fmt::format("{} events  {:.0f} ev/s  at {}  confirmed {}",
                                                  stats.events, rate,
                                                  stats.received_lsn.to_string(),
                                                  stats.flushed_lsn.to_string())
                                          .c_str());
    last_draw_ = now;
    last_events_ = stats.events;
  }

  void finish(const StreamStats& stats) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K%s\n", fmt::format("{} events in {} transactions, confirmed {}",
                                                     stats.events, stats.transactions,
                                                     stats.flushed_lsn.to_string())
                                             .c_str());
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_draw_{};
  uint64_t last_events_ = 0;
};

}  // namespace sabot::cli
