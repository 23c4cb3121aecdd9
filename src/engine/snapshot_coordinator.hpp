// SnapshotCoordinator: reads the rows that already exist while the stream runs (README
// "Snapshots"). Worker threads, each with its own regular connection, read tables chunk by chunk
// in key order; around each chunk's MVCC snapshot they write a low and a high watermark message
// (core/snapshot_window.hpp explains why that makes reads and changes agree). The stream thread
// meets the watermarks in the stream (SnapshotMerge) and delivers the chunk's rows at the high
// one, as Op::Read batches whose positions sort with the stream's.
//
// A table is split into chunks of --snapshot-chunk-rows keys as it is read (each bound found by
// an index scan ahead of the chunk), so several workers read chunks of one table at once, as
// they do chunks of different tables. The chunks of a table still reach the stream in key order:
// a chunk writes its high watermark only after the chunk before it did, and the stream delivers a
// chunk only when it starts where the one before it ended; a chunk that is read again (its
// snapshot raced a commit, its worker lost its connection) takes every later chunk of its table
// with it. So what was delivered of a table is always a prefix of its keys, which is what the
// progress file records. A worker reads ahead at most kAheadBytes of a chunk's rows (at least one
// piece), and at most one chunk per worker is in flight, so memory stays bounded whatever the
// table size. Progress is
// kept in a SnapshotState file; a restart resumes after what is durable.
//
// Threading: the public functions are for the stream's thread, except where noted; workers run
// on their own threads and meet the stream thread only through Chunk and this object's mutex.
// Errors: a worker's failure (a table it may not read, a statement timeout) is kept and thrown by
// rethrow_failure() on the stream thread as a CdcError naming the table and the fix.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/snapshot_window.hpp"
#include "engine/snapshot_state.hpp"
#include "pg/pg_connection.hpp"
#include "pg/snapshot_queries.hpp"
#include "sabot/change_batch.hpp"
#include "sabot/config.hpp"
#include "sabot/table_pattern.hpp"

namespace sabot::engine {

// A table's columns as a chunk's snapshot sees them; shared (immutable) by every read event of the
// chunk, which view its names.
struct ReadShape {
  std::string schema;
  std::string table;
  std::vector<std::string> names;
  std::vector<uint32_t> type_oids;
  std::vector<std::string> type_names;
  std::vector<std::string> key_names;  // replica identity columns, as stream events carry them
  std::vector<size_t> chunk_key_index;  // positions of the chunk key in names; empty: whole row
};

// One chunk in flight, shared by its worker and the stream thread (fields under `mutex` unless
// noted). The worker sets shape and snapshot before it writes the high watermark.
struct Chunk {
  uint64_t id = 0;
  std::string plan;
  std::string table;  // "schema.table"
  pg::SnapshotTable source;
  // The chunk's keys: after `after` (from the first when nullopt), up to and with `range_end`
  // (to the table's end when nullopt). Set when it is claimed, then immutable.
  std::optional<KeyValues> after;
  std::optional<KeyValues> range_end;
  bool last_of_table = false;  // the table is read once this chunk is delivered
  bool high_written = false;   // its high watermark is in the WAL (under the coordinator's mutex)
  std::shared_ptr<const ReadShape> shape;  // set before the high watermark, then immutable
  core::XidSnapshot snapshot;              // likewise

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::shared_ptr<const pg::RowPiece>> pieces;
  size_t pieces_bytes = 0;      // memory_bytes() of the pieces queued
  bool fetched_all = false;     // the worker has pushed every piece
  std::exception_ptr error;     // the worker failed; the chunk ends there
  bool aborted = false;         // stream → worker: read it again (or stop)
  bool emitted = false;         // stream → worker: every row reached the stream
};

struct SnapshotTableProgress {
  std::string table;
  uint64_t rows_done = 0;
  int64_t rows_estimated = 0;
  bool done = false;
};

// Writes a snapshot request for config.slot_name's stream (PostgresCdcConnector::
// request_snapshot) through a connection of its own; returns its id.
std::string write_snapshot_request(const PostgresCdcConfig& config,
                                   const std::vector<std::string>& patterns);

class SnapshotCoordinator {
 public:
  SnapshotCoordinator(const PostgresCdcConfig& config, const TableFilter& filter);
  ~SnapshotCoordinator();  // stops and joins the workers
  SnapshotCoordinator(const SnapshotCoordinator&) = delete;
  SnapshotCoordinator& operator=(const SnapshotCoordinator&) = delete;

  // Loads the progress file and starts the workers: the initial snapshot (config.snapshot ==
  // Initial or Only, unless already durably done) and unfinished requests resume. `durable`: what
  // the slot confirmed or the sink holds. `new_slot`: the slot was just created, so any earlier
  // progress for its name is void.
  void start(const std::string& system_id, EventPosition durable, bool new_slot);

  // The chunk a watermark of this run names, or null (another run's, or aborted).
  std::shared_ptr<Chunk> chunk(std::string_view watermark_content, char* mark);
  // At a chunk's high watermark: whether it is the next chunk of its table to deliver (it starts
  // where the last one delivered ended). If not, it and every later chunk of the table are read
  // again from where delivery stands.
  bool in_turn(Chunk& chunk);
  // A request read from the stream, committed at `position`: read these tables again.
  void request(const std::string& id, const std::vector<std::string>& patterns);
  // The rows of `chunk` went to the stream (`rows` of them; superseded ones were left out) at
  // positions up to `last_position`. `complete`: all of them; otherwise it was cut short (its
  // worker failed) after the row with key `last_seen`, and the next chunk starts there.
  void chunk_emitted(Chunk& chunk, uint64_t rows, bool complete,
                     std::optional<KeyValues> last_seen, EventPosition last_position);
  // The chunk must be read again (its snapshot raced a commit; the stream reconnected), and so
  // must the later chunks of its table.
  void abort(Chunk& chunk);
  void batch_handed_out(const ChangeBatch& batch);
  void acknowledged(uint64_t batch_id);
  // The stream reconnected: reads not acknowledged are read again.
  void rewind();

  // Every plan is finished and each of its reads was handed out (for --snapshot only).
  bool finished() const;
  // The first worker failure, as a CdcError.
  void rethrow_failure();
  std::vector<SnapshotTableProgress> progress() const;
  const std::string& token() const { return token_; }

 private:
  struct TableRun {
    std::string plan;
    pg::SnapshotTable source;
    std::optional<KeyValues> next_after;  // where the next chunk to deliver starts
    std::optional<KeyValues> upper;       // the greatest key when this run started reading
    bool finished = false;                // the last chunk was emitted
    bool resolved = false;                // source read from the catalog (not only its name)
    bool prepared = false;                // privilege checked, upper read
    bool preparing = false;               // a worker is preparing it
    // Claiming chunks: the next one starts after claim_after; one worker at a time finds its
    // bound (bounding); claim_epoch changes whenever the chunks in flight are given up.
    std::optional<KeyValues> claim_after;
    bool bounding = false;
    bool all_claimed = false;  // the chunk up to `upper` is in flight
    uint64_t claim_epoch = 0;
    std::vector<std::shared_ptr<Chunk>> in_flight;  // claimed, not yet delivered; in key order
    uint64_t rows_done = 0;
    struct Unacked {
      uint64_t batch_id;
      std::optional<KeyValues> key_before;
    };
    std::deque<Unacked> unacked;
    std::optional<KeyValues> handed_after;   // key of the last read handed out
    std::optional<KeyValues> emitted_after;  // key of the last read given to the stream
    EventPosition last_position;             // of the last read given to the stream
  };

  // What a worker does next for a table: prepare it, or find the bound of its next chunk.
  struct Claim {
    TableRun* run = nullptr;
    bool prepare = false;
    std::optional<KeyValues> after;  // bounding: where the chunk starts
    uint64_t epoch = 0;              // bounding: the run's claim_epoch then
  };

  // Sets `flag` (a run's preparing or bounding, guarded by mutex_) false when it goes out of
  // scope, under the lock, and wakes the workers waiting for it.
  struct ClearedOnExit {
    SnapshotCoordinator& self;
    bool& flag;
    ~ClearedOnExit();
  };

  void spawn_workers_locked();  // the workers start with the first work
  void worker_main();
  std::optional<Claim> claim_locked();
  void plan_pending(pg::PgConnection& conn);
  // The publication whose tables are read (pgoutput), or "" (wal2json: every table).
  std::string published_by() const;
  // Does `claim`; a table dropped meanwhile is skipped (its rows are gone, and the stream already
  // delivered its drop), any other failure is thrown.
  void work_on(pg::PgConnection& reader, pg::PgConnection& marker, const Claim& claim);
  void prepare(pg::PgConnection& reader, TableRun& run);
  // Finds the bound of the chunk `claim` starts; null when the claim went stale meanwhile.
  std::shared_ptr<Chunk> bound_chunk(pg::PgConnection& reader, const Claim& claim);
  // Reads `chunk` through; true once the stream delivered all of it.
  bool read_chunk(pg::PgConnection& reader, pg::PgConnection& marker, TableRun& run,
                  const std::shared_ptr<Chunk>& chunk);
  // Waits until every earlier chunk of the table wrote its high watermark; false if `chunk` was
  // given up meanwhile.
  bool await_high_turn(TableRun& run, const Chunk& chunk);
  void high_written(Chunk& chunk);
  // Gives up `from` (when in flight) and every later chunk of the run; claiming restarts at
  // `restart_after`. Returns whether `from` was in flight.
  bool give_up_locked(TableRun& run, const Chunk& from, std::optional<KeyValues> restart_after);
  void give_up_all_locked(TableRun& run);
  // Claiming starts again after `after`; a bound found meanwhile is dropped.
  void restart_claims_locked(TableRun& run, std::optional<KeyValues> after);
  void finish_run_locked(TableRun& run);
  void fail(std::exception_ptr error);
  void add_plan_locked(const std::string& id, const std::vector<pg::SnapshotTable>& tables);
  TableRun* run_of(const std::string& table);

  PostgresCdcConfig config_;
  TableFilter filter_;
  std::string token_;
  std::unique_ptr<SnapshotState> state_;

  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::vector<std::unique_ptr<TableRun>> runs_;
  std::deque<std::pair<std::string, std::vector<std::string>>> requests_;  // id, patterns
  std::vector<std::string> planned_requests_;
  std::map<uint64_t, std::shared_ptr<Chunk>> chunks_;
  uint64_t next_chunk_ = 1;
  bool initial_pending_ = false;  // the initial plan is still to be listed by a worker
  int planning_ = 0;              // workers listing the tables of a plan right now
  std::exception_ptr failure_;
  std::atomic<bool> failed_{false};  // failure_ is set (read without the lock)
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace sabot::engine
