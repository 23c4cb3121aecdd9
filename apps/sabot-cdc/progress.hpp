// A live progress line on a terminal's stderr: events/s and stream position, redrawn once a second.
// It is drawn only where it cannot mix with the data: when stdout is that same terminal, the
// redrawn line and the JSON Lines would share one screen (and one line), so there is none.
#pragma once

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sabot/connector.hpp"

namespace sabot::cli {

// Whether two open files are one terminal (or one file): same device and inode, and for device
// files the same device number. /dev/tty and /dev/pts/3 opened separately still compare equal.
inline bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev;
}

// The decision, apart from the system calls: progress needs stderr on a terminal, and stdout
// anywhere but that terminal (a file, a pipe, another terminal).
inline bool progress_allowed(bool stderr_is_tty, bool stdout_is_tty, bool same_terminal) {
  return stderr_is_tty && !(stdout_is_tty && same_terminal);
}

inline bool progress_allowed_on(int stdout_fd, int stderr_fd) {
  struct stat out {};
  struct stat err {};
  const bool both_known = fstat(stdout_fd, &out) == 0 && fstat(stderr_fd, &err) == 0;
  return progress_allowed(isatty(stderr_fd) == 1, isatty(stdout_fd) == 1,
                          !both_known || same_file(out, err));
}

// "0/1A2B3C8", or "not yet" before anything was confirmed (0/0 would read as a position).
inline std::string confirmed_text(Lsn flushed) {
  return flushed == Lsn() ? "not yet" : flushed.to_string();
}

inline std::string progress_line(const StreamStats& stats, double events_per_second) {
  return fmt::format("{} events  {:.0f} ev/s  at {}  confirmed {}", stats.events, events_per_second,
                     stats.received_lsn.to_string(), confirmed_text(stats.flushed_lsn));
}

inline std::string final_progress_line(const StreamStats& stats) {
  return fmt::format("{} event{} in {} transaction{}, confirmed {}", stats.events,
                     stats.events == 1 ? "" : "s", stats.transactions,
                     stats.transactions == 1 ? "" : "s", confirmed_text(stats.flushed_lsn));
}

// "snapshot public.orders  120000/400000 rows  45000 rows/s  5 s left" (a table being read).
inline std::string snapshot_line(const PostgresCdcConnector::SnapshotProgress& table,
                                 double rows_per_second) {
  std::string line = fmt::format("snapshot {}  {}", table.table, table.rows_done);
  if (table.rows_estimated > 0) line += fmt::format("/~{}", table.rows_estimated);
  line += fmt::format(" rows  {:.0f} rows/s", rows_per_second);
  const auto left = table.rows_estimated - static_cast<int64_t>(table.rows_done);
  if (rows_per_second > 0 && left > 0) {
    line += fmt::format("  ~{:.0f} s left", static_cast<double>(left) / rows_per_second);
  }
  return line;
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}

  void update(const StreamStats& stats, const PostgresCdcConnector& connector) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::seconds(1)) return;
    const double seconds = std::chrono::duration<double>(now - last_draw_).count();
    const bool first = last_draw_.time_since_epoch().count() == 0;
    const double rate = first ? 0.0 : static_cast<double>(stats.events - last_events_) / seconds;
    const std::string reading = snapshot_lines(connector.snapshot_progress(), first ? 0.0 : seconds);
    std::fprintf(stderr, "\r\033[K%s%s", reading.c_str(), progress_line(stats, rate).c_str());
    last_draw_ = now;
    last_events_ = stats.events;
  }

  void finish(const StreamStats& stats) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K%s\n", final_progress_line(stats).c_str());
  }

 private:
  // Prints a line for each table that finished; returns the progress of those being read, for
  // the front of the redrawn line.
  std::string snapshot_lines(const std::vector<PostgresCdcConnector::SnapshotProgress>& tables,
                             double seconds) {
    std::string reading;
    for (const auto& table : tables) {
      uint64_t& before = snapshot_rows_[table.table];
      const double rate = seconds > 0 ? static_cast<double>(table.rows_done - before) / seconds : 0;
      if (table.done && !finished_tables_.count(table.table)) {
        finished_tables_.insert(table.table);
        std::fprintf(stderr, "\r\033[Ksnapshot %s  %llu rows  done\n", table.table.c_str(),
                     static_cast<unsigned long long>(table.rows_done));
      } else if (!table.done && table.rows_done > 0) {
        reading += snapshot_line(table, rate) + "  |  ";
      }
      before = table.rows_done;
    }
    return reading;
  }

  bool enabled_;
  std::map<std::string, uint64_t> snapshot_rows_;
  std::set<std::string> finished_tables_;
  std::chrono::steady_clock::time_point last_draw_{};
  uint64_t last_events_ = 0;
};

}  // namespace sabot::cli
