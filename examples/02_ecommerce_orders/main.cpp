// Example 02 — e-commerce order processing from the change stream alone: the order state machine,
// inventory reserved/available per product, payments captured/refunded and live metrics. Every
// transaction (an order with its items and reservations, a payment with its status change) is
// handled as a whole.
//
//   ecommerce_orders --dsn "..." [--plugin pgoutput|wal2json] [--dashboard-ms 1000]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <sabot/sabot.hpp>

#include "cli_args.hpp"
#include "order_processor.hpp"
#include "stream_flags.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 02: order state machine, inventory, payments and metrics from CDC");
  StreamFlags flags("ex02_slot", "ex02_pub");
  flags.add_to(app);
  int dashboard_ms = 1000;
  app.add_option("--dashboard-ms", dashboard_ms, "how often the metrics line is printed")
      ->capture_default_str();
  if (const auto status = parse_arguments(app, argc, argv)) return *status;

  try {
    PostgresCdcConfig config = flags.config();
    config.tables = {"ex02.orders", "ex02.order_items", "ex02.payments", "ex02.inventory"};
    if (flags.check_args) return 0;
    config.batch_size = 500;
    PostgresCdcConnector connector(config);
    stop_on_signals(connector);
    connector.open();
    std::printf("Streaming slot %s (%s); Ctrl-C to stop.\n", config.slot_name.c_str(),
                flags.plugin.c_str());

    orders::OrderProcessor processor;
    size_t alerts_shown = 0;
    auto next_dashboard =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(dashboard_ms);
    for_each_transaction(connector, /*stop_at_done_message=*/true, [&](const Transaction& tx) {
      processor.apply(tx);
      for (; alerts_shown < processor.alerts().size(); ++alerts_shown) {
        const orders::Alert& a = processor.alerts()[alerts_shown];
        std::printf("  ! %s  (xid %u, commit %s)\n", a.message.c_str(), a.transaction_id,
                    a.commit_lsn.to_string().c_str());
      }
      if (std::chrono::steady_clock::now() >= next_dashboard) {
        std::printf("%s\n", orders::format_dashboard(processor).c_str());
        std::fflush(stdout);
        next_dashboard += std::chrono::milliseconds(dashboard_ms);
      }
    });
    connector.close();
    std::printf("%s\n\n%s", orders::format_dashboard(processor).c_str(),
                orders::format_report(processor).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ecommerce_orders: %s\n", e.what());
    return 1;
  }
  return 0;
}
