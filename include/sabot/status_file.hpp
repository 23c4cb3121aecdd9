// StatusFile: a running stream's live position, for `sabot-cdc status` (and any monitor). Rewritten atomically
// (temporary file + rename) at most once a second, and once more at exit.
//
// {"pid":123,"slot":"s","running":true,"updated_at":"...Z","last_commit_time":"...Z",
//  "received_lsn":"0/1","flushed_lsn":"0/1","events":10,"transactions":3}
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sabot/connector.hpp"

namespace sabot {

// $TMPDIR/sabot-cdc-SLOT.status (/tmp without TMPDIR).
std::string default_status_file(const std::string& slot);

// Writes are best effort: a status file that cannot be written never stops the stream.
class StatusFile {
 public:
  StatusFile(std::string path, std::string slot) : path_(std::move(path)), slot_(std::move(slot)) {}
  ~StatusFile();  // marks the file not running
  // `snapshot`: the snapshot's tables (PostgresCdcConnector::snapshot_progress()), shown by
  // `sabot-cdc status` as "snapshot": [{"table","rows","estimated","done"}].
  void update(const StreamStats& stats, bool force = false,
              std::vector<PostgresCdcConnector::SnapshotProgress> snapshot = {});

 private:
  void write(const StreamStats& stats, bool running);
  std::vector<PostgresCdcConnector::SnapshotProgress> snapshot_;
  std::string path_;
  std::string slot_;
  std::optional<StreamStats> last_;
  std::chrono::steady_clock::time_point last_write_{};
};

struct StreamStatus {
  int pid = 0;
  bool running = false;  // the file says so and the process is alive
  std::string updated_at;
  std::string last_commit_time;
  std::string received_lsn;
  std::string flushed_lsn;
  uint64_t events = 0;
  std::vector<PostgresCdcConnector::SnapshotProgress> snapshot;
};

// Reads a status file; nullopt if missing or unreadable.
std::optional<StreamStatus> read_status_file(const std::string& path);

}  // namespace sabot
