// PostgresCdcConnector: streams committed changes of a logical replication slot as
// transaction-aligned ChangeBatches, and reports to the server only what the consumer acknowledged.
//
//   sabot::PostgresCdcConnector connector(config);
//   connector.open();                                  // or let stream_batches() open it
//   for (const sabot::ChangeBatch& batch : connector.stream_batches()) {
//     process_events(batch);                           // acknowledged when the loop moves on
//   }
//
// Acknowledgement: the flush LSN sent to PostgreSQL is the end LSN of the newest transaction that,
// with every transaction before it, was acknowledged — never a position merely received. A batch
// handed out by stream_batches() is acknowledged when the loop asks for the next one (the body
// finished without throwing); next_batch() hands batches out without acknowledging them, and
// acknowledge() may then be called in any order.
//
// Threading: one thread drives the connector. request_stop() may be called from any thread or from
// a signal handler. Errors: every failure is a sabot::CdcError (see error.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sabot/change_batch.hpp"
#include "sabot/config.hpp"
#include "sabot/schema.hpp"

namespace sabot {

struct StreamStats {
  uint64_t events = 0;
  uint64_t batches = 0;
  uint64_t transactions = 0;
  uint64_t bytes_received = 0;
  Lsn received_lsn;      // newest WAL position received from the server
  Lsn flushed_lsn;       // newest position confirmed to the server
  Timestamp last_commit_time{};
};

class PostgresCdcConnector {
 public:
  explicit PostgresCdcConnector(PostgresCdcConfig config);
  ~PostgresCdcConnector();  // close(), swallowing errors
  PostgresCdcConnector(const PostgresCdcConnector&) = delete;
  PostgresCdcConnector& operator=(const PostgresCdcConnector&) = delete;

  // Connects, checks the server (wal_level, plugin, slot), creates slot/publication if configured,
  // starts replication. Throws CdcError naming the problem and the fix.
  void open();

  // Blocks until the next batch, or returns nullopt once stopped (request_stop(), end_lsn passed).
  // The batch is not acknowledged.
  std::optional<ChangeBatch> next_batch();

  // Like next_batch(), but never waits for the server: a batch that is ready, or can be decoded
  // from what the server has already sent, else nullopt at once (also when stopped or past
  // end_lsn: next_batch() tells those apart). For consumers that keep batches in flight (run_sink
  // with a pipelined sink): they finish what is in flight when nothing new is at hand.
  std::optional<ChangeBatch> poll_batch();
  // True once request_stop() was called.
  bool stop_requested() const;
  // For a consumer that pauses (its sink is down) and so does not call next_batch() for a while:
  // sends a standby status update when one is due (every status_interval), without reading the
  // stream, so the server does not end the connection for silence (wal_sender_timeout, 60 s by
  // default) while the stream waits. Call it at least every few seconds during a pause.
  // Throws CdcError{Connection} if the connection is lost (next_batch() reconnects later).
  void keep_alive();

  // The consumer has made this batch durable. Batches may be acknowledged out of order.
  void acknowledge(const ChangeBatch& batch);
  void acknowledge(uint64_t batch_id);

  // Stop streaming at the next opportunity. Async-signal-safe.
  void request_stop() noexcept;

  // Sends a final status update with everything acknowledged, ends the copy, disconnects.
  void close();

  const StreamStats& stats() const;
  const PostgresCdcConfig& config() const;

  // The schema of a captured table (columns, types, nullability, replica identity key) as of the
  // newest batch handed out: read from the catalog when open() first connects, then updated by
  // every schema_change event as its batch is handed out (a consumer reading a batch sees the
  // state after that batch; within it, the schema_change events themselves say what changed).
  // nullptr for a table outside the filter, dropped, or unknown. The object never changes.
  std::shared_ptr<const TableSchema> table_schema(std::string_view schema,
                                                  std::string_view table) const;
  // Every captured table's schema, kept as described for table_schema().
  const SchemaRegistry& schemas() const;

  // Snapshots (config.snapshot, README "Snapshots").
  // Asks the running stream of this slot — this connector's, or another process's — to read the
  // tables matching `patterns` again (they must be among the captured tables), without stopping
  // it. Written to the WAL as a transactional logical message, so it is served exactly once, even
  // across restarts. Opens its own regular connection; callable from any thread. Returns the
  // request's id. Throws CdcError{Config} for bad patterns, connection errors as usual.
  std::string request_snapshot(const std::vector<std::string>& patterns);
  struct SnapshotProgress {
    std::string table;  // "schema.table"
    uint64_t rows_done = 0;
    int64_t rows_estimated = 0;  // the planner's estimate (pg_class.reltuples)
    bool done = false;
  };
  // The tables of the snapshots of this run, in reading order.
  std::vector<SnapshotProgress> snapshot_progress() const;
  // What the consumer already holds durably (a sink's checkpoint): a snapshot resumes after the
  // reads it holds even when the slot was not confirmed that far. Call before the first
  // next_batch(); run_sink() does.
  void set_consumer_checkpoint(Lsn commit_lsn, uint32_t seq);

  class BatchRange;
  BatchRange stream_batches();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Input range over next_batch(); acknowledges each batch when the iteration moves past it.
class PostgresCdcConnector::BatchRange {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = ChangeBatch;
    using difference_type = std::ptrdiff_t;
    using pointer = const ChangeBatch*;
    using reference = const ChangeBatch&;

    iterator() = default;
    explicit iterator(BatchRange* range) : range_(range) {}
    reference operator*() const { return *range_->current_; }
    pointer operator->() const { return &*range_->current_; }
    iterator& operator++() {
      range_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !range_ || !range_->current_; }

   private:
    BatchRange* range_ = nullptr;
  };

  explicit BatchRange(PostgresCdcConnector& connector) : connector_(connector) {}
  iterator begin() {
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() { return {}; }

 private:
  void advance();
  PostgresCdcConnector& connector_;
  std::optional<ChangeBatch> current_;
};

}  // namespace sabot
