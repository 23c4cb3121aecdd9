// --metrics-listen for the commands that stream: one StreamMetrics the connector fills, served by
// a MetricsServer for as long as the command runs; without it, a SlotWatcher alone for
// --warn-retained-bytes.
#include "commands.hpp"
#include "sabot/metrics.hpp"

namespace sabot::cli {

std::unique_ptr<MetricsServer> start_metrics_server(const std::string& listen,
                                                    PostgresCdcConfig& config,
                                                    const std::string& sink_label,
                                                    int64_t warn_retained_bytes) {
  if (listen.empty()) return nullptr;
  config.metrics = std::make_shared<StreamMetrics>();
  MetricsServerOptions options;
  options.listen = listen;
  options.slot = config.slot_name;
  options.sink = sink_label;
  options.connection = config;
  options.connection.metrics = nullptr;  // the poller's connection is no stream
  options.warn_retained_bytes = warn_retained_bytes;
  return std::make_unique<MetricsServer>(std::move(options), config.metrics);
}

std::unique_ptr<SlotWatcher> start_slot_watcher(const std::string& listen,
                                                const PostgresCdcConfig& config,
                                                int64_t warn_retained_bytes) {
  if (!listen.empty() || warn_retained_bytes <= 0) return nullptr;  // the metrics server watches
  SlotWatchOptions options;
  options.slot = config.slot_name;
  options.connection = config;
  options.connection.metrics = nullptr;  // the watcher's connection is no stream
  options.warn_retained_bytes = warn_retained_bytes;
  return std::make_unique<SlotWatcher>(std::move(options), nullptr);
}

}  // namespace sabot::cli
