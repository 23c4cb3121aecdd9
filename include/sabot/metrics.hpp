// Metrics for monitoring a running stream: StreamMetrics, the registry the connector updates, and
// MetricsServer, which serves it over HTTP in Prometheus' text format.
//
//   auto metrics = std::make_shared<sabot::StreamMetrics>();
//   config.metrics = metrics;                         // the connector updates it
//   sabot::MetricsServer server({.listen = "127.0.0.1:9187", .slot = config.slot_name,
//                                .connection = config}, metrics);
//   // GET /metrics, /healthz (alive), /readyz (200 while streaming)
//
// Observation only: the connector bumps relaxed atomics on the paths it already runs, and the
// slot's retained WAL and lag are read by the server's own thread on its own regular connection,
// so a scrape or a slow server never holds up the stream.
//
// Ownership: StreamMetrics is shared (shared_ptr) by the connector and the server; either may
// outlive the other. Threading: every StreamMetrics member may be read and written from any
// thread. MetricsServer's methods are for the thread that owns it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace sabot {

// A Prometheus histogram with fixed upper bounds (cumulative when rendered). Lock-free.
class Histogram {
 public:
  static constexpr size_t kMaxBuckets = 16;
  explicit Histogram(std::vector<double> upper_bounds);  // ascending, at most kMaxBuckets
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  uint64_t bucket_count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<uint64_t>, kMaxBuckets> counts_{};  // not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum in millionths: an atomic double add is not portable
};

// What the stream is doing, for /readyz and sabot_cdc_streaming.
enum class StreamState : int { Starting = 0, Streaming = 1, Reconnecting = 2, Stopped = 3 };

struct StreamMetrics {
  StreamMetrics();

  // Counters (only ever grow).
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> transactions{0};
  std::atomic<uint64_t> bytes_received{0};  // XLogData payload bytes
  std::atomic<uint64_t> reconnects{0};      // reconnect attempts
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ErrorKind::Internal) + 1> errors{};
  std::atomic<uint64_t> sink_retries{0};  // delivery attempts retried after a retryable sink error
  std::atomic<uint64_t> events_filtered{0};  // row changes decoded and dropped by the table filter

  // Gauges.
  std::atomic<uint64_t> received_lsn{0};             // newest WAL position received
  std::atomic<uint64_t> confirmed_lsn{0};            // newest position confirmed to the server
  std::atomic<uint64_t> in_flight_batches{0};        // handed out, not yet acknowledged
  std::atomic<uint64_t> sink_queued_events{0};       // in the delivery window, not acknowledged
  std::atomic<uint64_t> sink_queued_bytes{0};        // their values' bytes
  std::atomic<int64_t> slot_retained_wal_bytes{-1};  // -1: not read yet
  std::atomic<int64_t> slot_lag_bytes{-1};
  std::atomic<int> slot_lost{0};  // 1 once the server reports wal_status = 'lost'
  std::atomic<int> state{static_cast<int>(StreamState::Starting)};

  // Seconds from a transaction's commit on the server to the acknowledgement of its last batch.
  Histogram delivery_seconds;
  Histogram batch_events;  // events per batch handed out

  // Snapshot progress per table (the connector's snapshot_progress()), replaced as a whole by the
  // stream thread as snapshot batches are handed out; read by render().
  struct SnapshotTable {
    std::string table;  // "schema.table"
    uint64_t rows_done = 0;
    int64_t rows_estimated = 0;  // the planner's estimate when the table's read started
  };
  void set_snapshot_tables(std::vector<SnapshotTable> tables);
  std::vector<SnapshotTable> snapshot_tables() const;

  void count_error(ErrorKind kind) {
    errors[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  }
  void set_state(StreamState s) { state.store(static_cast<int>(s), std::memory_order_relaxed); }
  StreamState get_state() const { return static_cast<StreamState>(state.load()); }

  // Prometheus text exposition (version 0.0.4) of every metric, each labelled slot="...",
  // sink="..." (label values escaped).
  std::string render(const std::string& slot, const std::string& sink) const;

 private:
  mutable std::mutex snapshot_mutex_;
  std::vector<SnapshotTable> snapshot_tables_;  // under snapshot_mutex_
};

struct SlotWatchOptions {
  std::string slot;              // the slot to watch
  PostgresCdcConfig connection;  // connection fields for the slot query (its log: see below)
  std::chrono::milliseconds poll_interval{5000};
  // Retained WAL above this is logged as a warning (once each time it crosses) through
  // connection.log or stderr; 0 = never.
  int64_t warn_retained_bytes = 0;
};

// Reads the slot's retained WAL and lag every poll_interval on a thread and a regular connection
// of its own (so the stream never waits for it), stores them in `metrics` (may be null: then it
// only warns), and logs when retained WAL crosses warn_retained_bytes. A failing query is logged
// and retried at the next poll, never fatal. Stops (joins its thread) when destroyed.
class SlotWatcher {
 public:
  SlotWatcher(SlotWatchOptions options, std::shared_ptr<StreamMetrics> metrics);
  ~SlotWatcher();
  SlotWatcher(const SlotWatcher&) = delete;
  SlotWatcher& operator=(const SlotWatcher&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct MetricsServerOptions {
  std::string listen = "127.0.0.1:9187";  // HOST:PORT; port 0 picks a free one (see port())
  std::string slot;                       // the slot to watch (label and retained-WAL query)
  std::string sink = "stdout";            // label only
  PostgresCdcConfig connection;           // connection fields for the slot query
  std::chrono::milliseconds poll_interval{5000};
  // Retained WAL above this is logged (once each time it crosses) through connection.log or
  // stderr; 0 = never.
  int64_t warn_retained_bytes = 0;
};

// Serves /metrics, /healthz and /readyz on its own threads until destroyed, and watches the slot
// with a SlotWatcher. Throws CdcError{Config} when it cannot listen (bad address, port taken).
class MetricsServer {
 public:
  MetricsServer(MetricsServerOptions options, std::shared_ptr<StreamMetrics> metrics);
  ~MetricsServer();  // stops both threads
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const;  // the port actually bound

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sabot
