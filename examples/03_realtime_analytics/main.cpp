// Example 03 — real-time analytics on the orders stream: tumbling and sliding windows on commit
// time, revenue and order counts per category and region, top products per window, and live KPIs.
//
//   realtime_analytics --dsn "..." [--tumbling-ms 5000] [--sliding-ms 10000 --slide-ms 5000]
//                      [--top 3] [--plugin pgoutput|wal2json]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <sabot/sabot.hpp>

#include "analytics_processor.hpp"
#include "cli_args.hpp"
#include "stream_flags.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;
using std::chrono::milliseconds;

int main(int argc, char** argv) {
  CLI::App app("Example 03: windowed analytics and live KPIs over the orders stream");
  StreamFlags flags("ex03_slot", "ex03_pub");
  flags.add_to(app);
  int tumbling_ms = 5000, sliding_ms = 10000, slide_ms = 5000, kpi_ms = 1000;
  size_t top = 3;
  app.add_option("--tumbling-ms", tumbling_ms, "tumbling window size")->capture_default_str();
  app.add_option("--sliding-ms", sliding_ms, "sliding window size")->capture_default_str();
  app.add_option("--slide-ms", slide_ms, "sliding window step")->capture_default_str();
  app.add_option("--top", top, "top N products per window")->capture_default_str();
  app.add_option("--kpi-ms", kpi_ms, "how often the KPI line is refreshed")->capture_default_str();
  if (const auto status = parse_arguments(app, argc, argv)) return *status;

  try {
    analytics::AnalyticsOptions options;
    options.tumbling = analytics::WindowSpec::tumbling(milliseconds(tumbling_ms));
    options.sliding =
        analytics::WindowSpec::sliding(milliseconds(sliding_ms), milliseconds(slide_ms));
    options.top_n = top;
    analytics::AnalyticsProcessor processor(options);

    PostgresCdcConfig config = flags.config();
    config.tables = {"ex03.products", "ex03.orders", "ex03.order_lines"};
    if (flags.check_args) return 0;
    PostgresCdcConnector connector(config);
    stop_on_signals(connector);
    connector.open();
    std::printf(
        "Streaming slot %s (%s): tumbling %d ms, sliding %d ms every %d ms; Ctrl-C to stop.\n",
        config.slot_name.c_str(), flags.plugin.c_str(), tumbling_ms, sliding_ms, slide_ms);

    // On a terminal the KPI line is redrawn in place; in a pipe it is printed now and then.
    const bool terminal = isatty(STDOUT_FILENO);
    auto next_kpis = std::chrono::steady_clock::now();
    for_each_transaction(connector, /*stop_at_done_message=*/true, [&](const Transaction& tx) {
      const auto closed = processor.apply(tx);
      if (terminal && !closed.empty()) std::printf("\r\033[K");
      for (const analytics::ClosedWindow& window : closed) {
        std::fputs(analytics::format_window(window, processor).c_str(), stdout);
      }
      if (std::chrono::steady_clock::now() >= next_kpis || (terminal && !closed.empty())) {
        std::printf(terminal ? "\r\033[K%s" : "%s\n",
                    analytics::format_kpis(processor.kpis()).c_str());
        next_kpis = std::chrono::steady_clock::now() + milliseconds(kpi_ms);
      }
      std::fflush(stdout);
    });
    connector.close();
    std::printf("%s%s\n", terminal ? "\n" : "", analytics::format_kpis(processor.kpis()).c_str());
    std::printf("%lld orders; %lld late; windows still open at the end (partial):\n",
                static_cast<long long>(processor.orders()),
                static_cast<long long>(processor.late_orders()));
    for (const analytics::ClosedWindow& window : processor.open_windows()) {
      std::fputs(analytics::format_window(window, processor).c_str(), stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "realtime_analytics: %s\n", e.what());
    return 1;
  }
  return 0;
}
