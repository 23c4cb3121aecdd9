// SlotWatcher (include/sabot/metrics.hpp): a thread that reads the slot's retained WAL and lag on
// a regular connection of its own, so the replication connection and the stream loop never wait
// for it; it fills the metrics and warns when retained WAL crosses the threshold.
#include <fmt/format.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "pg/admin.hpp"
#include "pg/pg_connection.hpp"
#include "sabot/metrics.hpp"

namespace sabot {

namespace {

void log_line(const PostgresCdcConfig& config, const std::string& message) {
  if (config.log) {
    config.log(message);
  } else {
    std::fprintf(stderr, "sabot-cdc: %s\n", message.c_str());
  }
}

}  // namespace

struct SlotWatcher::Impl {
  Impl(SlotWatchOptions opts, std::shared_ptr<StreamMetrics> m)
      : options(std::move(opts)), metrics(std::move(m)) {}

  void poll_loop();
  void poll_once();

  SlotWatchOptions options;
  std::shared_ptr<StreamMetrics> metrics;  // may be null
  std::unique_ptr<pg::PgConnection> conn;  // poller thread only
  bool warned = false;                     // retained WAL above the threshold, logged
  bool failing = false;                    // the last poll failed, and that was logged
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread poller;
};

void SlotWatcher::Impl::poll_once() {
  if (!conn)
    conn = std::make_unique<pg::PgConnection>(options.connection, pg::ConnectionKind::Regular);
  const auto slot = pg::find_slot(*conn, options.slot);
  if (!slot) return;
  const int64_t retained = slot->retained_wal_bytes.value_or(-1);
  if (metrics) {
    metrics->slot_retained_wal_bytes.store(retained);
    metrics->slot_lag_bytes.store(slot->lag_bytes.value_or(-1));
    metrics->slot_lost.store(slot->wal_status == "lost" ? 1 : 0);
  }
  const bool above = options.warn_retained_bytes > 0 && retained > options.warn_retained_bytes;
  if (above && !warned) {
    log_line(options.connection,
             fmt::format("warning: slot \"{}\" retains {} bytes of WAL (threshold {}, "
                         "--warn-retained-bytes): the consumer is behind or stopped, and the "
                         "server's disk fills until it catches up",
                         options.slot, retained, options.warn_retained_bytes));
  }
  warned = above;
}

void SlotWatcher::Impl::poll_loop() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    lock.unlock();
    try {
      poll_once();
      failing = false;
    } catch (const CdcError& e) {
      conn.reset();  // reconnect at the next poll
      // Once per outage: the stream reports the lost server itself, every few seconds.
      if (!failing) {
        log_line(options.connection, fmt::format("reading slot \"{}\" for its retained WAL: {}",
                                                 options.slot, e.what()));
      }
      failing = true;
    }
    lock.lock();
    wake.wait_for(lock, options.poll_interval, [this] { return stopping; });
  }
}

SlotWatcher::SlotWatcher(SlotWatchOptions options, std::shared_ptr<StreamMetrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(metrics))) {
  Impl& impl = *impl_;
  impl.poller = std::thread([&impl] { impl.poll_loop(); });
}

SlotWatcher::~SlotWatcher() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->poller.join();
}

}  // namespace sabot
