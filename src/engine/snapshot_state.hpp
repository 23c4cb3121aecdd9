// SnapshotState: where a snapshot's progress is kept across restarts — an append-only JSON Lines
// file (default $XDG_STATE_HOME/sabot-cdc/<system id>-<slot>.snapshot, else
// ~/.local/state/sabot-cdc/...). Lines:
//
//   {"plan":"initial","tables":["public.a","public.b"]}          a snapshot was asked for
//   {"plan":"initial","table":"public.a","lsn":"0/1A2B","seq":99,"first":90,
//    "keys":[["32"],...,["41"]],"after":["41"]}
//                 a batch of reads (seq 90..99, keys 32..41) was handed out, up to key 41
//   {"plan":"initial","table":"public.a","done":true,"lsn":"0/1A2B","seq":99}
//
// A progress line counts only once its position is durable: at or before what the slot confirmed
// or what the sink's checkpoint holds (resolve()). So a crash between handing a batch out and
// its acknowledgement reads those rows again, and a sink that dropped nothing it holds (the
// file's checkpoint) gets each row once — also when it holds only part of a batch (a kill -9 in
// the middle of its write): the batch's keys say where that part ends. Keys are kept in memory
// for the newest kKeyedLines lines of each table only; a checkpoint inside an older batch (far
// behind the slot's position, which no sink's checkpoint is) resumes at that batch's start. A
// torn last line (kill -9 while appending) is ignored.
//
// A start takes resume(), which rewrites the file to hold just what it resolved: the plan lines
// and, per table, one line (done, or where to resume) at the position of the newest line that
// said so (the durable position itself when that is inside a batch). Lines of batches
// that were handed out but never became durable go: their rows are read again under new
// positions, and a later start whose durable position has passed the old ones must not count
// them. It also keeps the file small across restarts (the keys of every read go with them).
// Losing the file means the snapshot is taken again from the start (reads are upserts).
//
// Errors: CdcError{LocalIo} naming the file when it cannot be created or appended to.
// Not thread-safe: the stream's thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "output/json_text.hpp"
#include "sabot/change_event.hpp"
#include "sabot/lsn.hpp"
#include "sabot/sink.hpp"

namespace sabot::engine {

using KeyValues = std::vector<std::optional<std::string>>;

struct TableResume {
  std::optional<KeyValues> after;  // resume after this key; nullopt = from the start
  bool done = false;
  // The position of the newest line that said so (what a rewritten file records for it).
  EventPosition position;
};

struct PlanResume {
  std::string id;
  std::vector<std::string> tables;       // "schema.table", in reading order
  std::map<std::string, TableResume> progress;
};

class SnapshotState {
 public:
  static std::string default_path(const std::string& system_id, const std::string& slot);

  // Reads the file if it exists (creating its directory otherwise).
  explicit SnapshotState(std::string path);

  const std::string& path() const { return path_; }
  // The plans with what of them is durable: progress at or before `durable`.
  std::vector<PlanResume> resolve(EventPosition durable) const;
  // resolve(durable), and the file (and what this object holds) rewritten to say only that (see
  // the top of this file). The new file replaces the old one atomically (written
  // aside, fsynced, renamed): a crash leaves one or the other. Throws CdcError{LocalIo}.
  std::vector<PlanResume> resume(EventPosition durable);
  bool has_plan(const std::string& id) const;

  void append_plan(const std::string& id, const std::vector<std::string>& tables);
  // `reads`: a batch of read events, in order (consecutive seq); `chunk_key`: the columns whose
  // values key them. Their keys are written straight from the events (no copies per row).
  void append_progress(const std::string& plan, const std::string& table,
                       const std::vector<ChangeEvent>& reads,
                       const std::vector<std::string>& chunk_key);
  void append_done(const std::string& plan, const std::string& table, EventPosition position);
  // Forgets everything (a new slot: its snapshot starts anew).
  void reset();

 private:
  struct Line {
    std::string plan;
    std::vector<std::string> tables;  // a plan line
    std::string table;                // a progress or done line
    std::optional<KeyValues> after;
    bool done = false;
    EventPosition position;
    uint32_t first_seq = 0;       // a progress line: seq of its batch's first read
    std::vector<KeyValues> keys{};  // and the key of each (newest lines only, see above)
  };
  static constexpr size_t kKeyedLines = 256;
  // The key to resume after when `durable` is within `line`'s batch, if its keys are kept.
  static std::optional<KeyValues> key_within(const Line& line, EventPosition durable);
  void load();
  // The lines that say `plans`, in file order.
  static std::vector<Line> lines_of(const std::vector<PlanResume>& plans);
  static std::string render(const Line& line);  // a plan, done or progress line (keys left out)
  void replace_file(const std::vector<Line>& lines);
  void append(std::string line);  // one JSON line (without its newline)
  void write_line(std::string_view line);  // with its newline, appended to the file at once

  // The buffer append_progress renders its lines in, kept between batches (up to
  // kKeptTextBytes).
  static constexpr size_t kKeptTextBytes = size_t{1} << 20;
  output::JsonText line_text_;

  std::string path_;
  std::vector<Line> lines_;
};

}  // namespace sabot::engine
