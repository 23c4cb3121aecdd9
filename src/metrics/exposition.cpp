// StreamMetrics and Histogram (include/sabot/metrics.hpp): the atomics, and their rendering in
// Prometheus' text exposition format. Names follow Prometheus conventions: counters end in
// _total, durations are _seconds, sizes _bytes.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "sabot/lsn.hpp"
#include "sabot/metrics.hpp"

namespace sabot {

namespace {

constexpr double kMicro = 1e6;

// Label values escape backslash, double quote and newline (the exposition format's rule).
std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string format_bound(double bound) {
  return fmt::format("{}", bound);
}

class Writer {
 public:
  Writer(const std::string& slot, const std::string& sink)
      : labels_(fmt::format("slot=\"{}\",sink=\"{}\"", escape_label(slot), escape_label(sink))) {}

  void metric(const char* name, const char* type, const char* help, double value) {
    header(name, type, help);
    sample(name, "", value);
  }
  void header(const char* name, const char* type, const char* help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const std::string& name, const std::string& extra_labels, double value) {
    out_ += fmt::format("{}{{{}{}}} {}\n", name, labels_, extra_labels, value);
  }
  void histogram(const char* name, const char* help, const Histogram& h) {
    header(name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.bounds().size(); ++i) {
      cumulative += h.bucket_count(i);
      sample(std::string(name) + "_bucket", fmt::format(",le=\"{}\"", format_bound(h.bounds()[i])),
             static_cast<double>(cumulative));
    }
    sample(std::string(name) + "_bucket", ",le=\"+Inf\"", static_cast<double>(h.count()));
    sample(std::string(name) + "_sum", "", h.sum());
    sample(std::string(name) + "_count", "", static_cast<double>(h.count()));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string labels_;
  std::string out_;
};

double load(const std::atomic<uint64_t>& v) {
  return static_cast<double>(v.load(std::memory_order_relaxed));
}

void render_errors(Writer& w, const StreamMetrics& m) {
  w.header("sabot_cdc_errors_total", "counter",
           "Errors met while streaming, by kind (each reconnect's cause, and the final error)");
  for (size_t i = 0; i < m.errors.size(); ++i) {
    w.sample("sabot_cdc_errors_total",
             fmt::format(",kind=\"{}\"", to_string(static_cast<ErrorKind>(i))), load(m.errors[i]));
  }
}

void render_snapshot(Writer& w, const StreamMetrics& m) {
  const std::vector<StreamMetrics::SnapshotTable> tables = m.snapshot_tables();
  w.header("sabot_cdc_snapshot_rows_done", "gauge",
           "Rows of the table read by the snapshot and handed to the sink");
  for (const auto& t : tables) {
    w.sample("sabot_cdc_snapshot_rows_done", fmt::format(",table=\"{}\"", escape_label(t.table)),
             static_cast<double>(t.rows_done));
  }
  w.header("sabot_cdc_snapshot_rows_estimated", "gauge",
           "The server's estimate of the table's rows when its snapshot started");
  for (const auto& t : tables) {
    w.sample("sabot_cdc_snapshot_rows_estimated",
             fmt::format(",table=\"{}\"", escape_label(t.table)),
             static_cast<double>(t.rows_estimated));
  }
}

}  // namespace

void StreamMetrics::set_snapshot_tables(std::vector<SnapshotTable> tables) {
  std::lock_guard lock(snapshot_mutex_);
  snapshot_tables_ = std::move(tables);
}

std::vector<StreamMetrics::SnapshotTable> StreamMetrics::snapshot_tables() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_tables_;
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (bounds_.size() > kMaxBuckets) bounds_.resize(kMaxBuckets);
}

void Histogram::observe(double value) {
  value = std::max(0.0, value);  // a commit time ahead of our clock (skew) counts as no delay
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) {
    counts_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(value * kMicro)),
                       std::memory_order_relaxed);
}

double Histogram::sum() const {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / kMicro;
}

StreamMetrics::StreamMetrics()
    : delivery_seconds({0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600}),
      batch_events({1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000}) {}

std::string StreamMetrics::render(const std::string& slot, const std::string& sink) const {
  Writer w(slot, sink);
  w.metric("sabot_cdc_events_total", "counter", "Change events handed to the sink", load(events));
  w.metric("sabot_cdc_batches_total", "counter", "Batches handed to the sink", load(batches));
  w.metric("sabot_cdc_transactions_total", "counter", "Transactions handed to the sink",
           load(transactions));
  w.metric("sabot_cdc_received_bytes_total", "counter",
           "Bytes of logical decoding messages received from the server", load(bytes_received));
  w.metric("sabot_cdc_reconnects_total", "counter", "Reconnect attempts after a lost connection",
           load(reconnects));
  w.metric("sabot_cdc_sink_retries_total", "counter",
           "Delivery attempts retried after a retryable sink error", load(sink_retries));
  w.metric("sabot_cdc_events_filtered_total", "counter",
           "Row changes decoded and dropped because the table filter leaves their table out",
           load(events_filtered));
  render_errors(w, *this);
  w.metric("sabot_cdc_received_lsn", "gauge", "Newest WAL position received (LSN as a number)",
           load(received_lsn));
  w.metric("sabot_cdc_confirmed_lsn", "gauge",
           "Newest WAL position confirmed to the server as flushed (LSN as a number)",
           load(confirmed_lsn));
  w.metric("sabot_cdc_in_flight_batches", "gauge", "Batches handed out and not yet acknowledged",
           load(in_flight_batches));
  w.metric("sabot_cdc_sink_queued_events", "gauge",
           "Events given to the sink (or waiting to be retried) and not yet acknowledged",
           load(sink_queued_events));
  w.metric("sabot_cdc_sink_queued_bytes", "gauge", "Value bytes of those events",
           load(sink_queued_bytes));
  w.metric("sabot_cdc_slot_retained_wal_bytes", "gauge",
           "WAL the server keeps for the slot (current position - restart_lsn); -1 until read",
           static_cast<double>(slot_retained_wal_bytes.load()));
  w.metric("sabot_cdc_slot_lag_bytes", "gauge",
           "Current WAL position - the slot's confirmed_flush_lsn; -1 until read",
           static_cast<double>(slot_lag_bytes.load()));
  w.metric("sabot_cdc_slot_lost", "gauge",
           "1 when the server invalidated the slot (wal_status lost)", slot_lost.load());
  w.metric("sabot_cdc_streaming", "gauge", "1 while connected and streaming",
           get_state() == StreamState::Streaming ? 1 : 0);
  render_snapshot(w, *this);
  w.histogram("sabot_cdc_delivery_seconds",
              "Commit on the source to acknowledged delivery (time behind source)",
              delivery_seconds);
  w.histogram("sabot_cdc_batch_events", "Events per batch", batch_events);
  return w.take();
}

}  // namespace sabot
