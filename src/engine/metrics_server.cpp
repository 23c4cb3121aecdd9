// MetricsServer (include/sabot/metrics.hpp): the metrics layer's HTTP endpoint plus a SlotWatcher
// that reads the slot's retained WAL and lag.
#include <optional>

#include "metrics/http_server.hpp"
#include "sabot/metrics.hpp"

namespace sabot {

struct MetricsServer::Impl {
  Impl(MetricsServerOptions opts, std::shared_ptr<StreamMetrics> m)
      : options(std::move(opts)), metrics(std::move(m)) {}

  MetricsServerOptions options;
  std::shared_ptr<StreamMetrics> metrics;
  metrics::HttpServer http;
  std::optional<SlotWatcher> watcher;  // started once listening
};

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
  impl.watcher.emplace(
      SlotWatchOptions{impl.options.slot, impl.options.connection, impl.options.poll_interval,
                       impl.options.warn_retained_bytes},
      impl.metrics);
}

MetricsServer::~MetricsServer() = default;  // the watcher stops first, then the HTTP server

int MetricsServer::port() const {
  return impl_->http.port();
}

}  // namespace sabot
