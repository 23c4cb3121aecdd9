// MetricsServer (include/sabot/metrics.hpp): the metrics layer's HTTP endpoint plus a poller
// thread that reads the slot's retained WAL and lag on a regular connection of its own, so the
// replication connection and the stream loop never wait for it.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "metrics/http_server.hpp"
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

struct MetricsServer::Impl {
  Impl(MetricsServerOptions opts, std::shared_ptr<StreamMetrics> m)
      : options(std::move(opts)), metrics(std::move(m)) {}

  void poll_loop();
  void poll_once();

  MetricsServerOptions options;
  std::shared_ptr<StreamMetrics> metrics;
  metrics::HttpServer http;
  std::unique_ptr<pg::PgConnection> conn;  // poller thread only
  bool warned = false;                     // retained WAL above the threshold, logged
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread poller;
};

void MetricsServer::Impl::poll_once() {
  if (!conn)
    conn = std::make_unique<pg::PgConnection>(options.connection, pg::ConnectionKind::Regular);
  const auto slot = pg::find_slot(*conn, options.slot);
  if (!slot) return;
  const int64_t retained = slot->retained_wal_bytes.value_or(-1);
  metrics->slot_retained_wal_bytes.store(retained);
  metrics->slot_lag_bytes.store(slot->lag_bytes.value_or(-1));
  metrics->slot_lost.store(slot->wal_status == "lost" ? 1 : 0);
  const bool above = options.warn_retained_bytes > 0 && retained > options.warn_retained_bytes;
  if (above && !warned) {
    log_line(options.connection,
             fmt::format("warning: slot \"{}\" retains {} bytes of WAL (threshold {}): the "
                         "consumer is behind or stopped",
                         options.slot, retained, options.warn_retained_bytes));
  }
  warned = above;
}

void MetricsServer::Impl::poll_loop() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    lock.unlock();
    try {
      poll_once();
    } catch (const CdcError& e) {
      conn.reset();  // reconnect at the next poll
      log_line(options.connection,
               fmt::format("metrics: reading slot \"{}\": {}", options.slot, e.what()));
    }
    lock.lock();
    wake.wait_for(lock, options.poll_interval, [this] { return stopping; });
  }
}

MetricsServer::MetricsServer(MetricsServerOptions options, std::shared_ptr<StreamMetrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(metrics))) {
  Impl& impl = *impl_;
  impl.http.route("/metrics", [&impl] {
    return metrics::HttpReply{200, "text/plain; version=0.0.4; charset=utf-8",
                              impl.metrics->render(impl.options.slot, impl.options.sink)};
  });
  impl.http.route("/healthz", [] { return metrics::HttpReply{200, "text/plain", "ok\n"}; });
  impl.http.route("/readyz", [&impl] {
    const bool ready = impl.metrics->get_state() == StreamState::Streaming;
    return metrics::HttpReply{ready ? 200 : 503, "text/plain",
                              ready ? "streaming\n" : "not streaming\n"};
  });
  impl.http.start(impl.options.listen);
  impl.poller = std::thread([&impl] { impl.poll_loop(); });
}

MetricsServer::~MetricsServer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->poller.join();
}

int MetricsServer::port() const {
  return impl_->http.port();
}

}  // namespace sabot
