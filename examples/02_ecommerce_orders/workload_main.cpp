// Example 02's workload simulator.
//   workload --setup                 drop and re-create inventory, orders, order_items, payments
//   workload [--orders N] [--products N] [--seed S] [--pause-ms MS]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "pg_session.hpp"
#include "shop_workload.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 02 workload: place, pay, ship, deliver and cancel orders");
  std::string dsn;
  bool setup = false;
  orders::WorkloadOptions options;
  int pause_ms = 0;
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_flag("--setup", setup, "only (re-)create the tables");
  app.add_option("--orders", options.orders)->capture_default_str();
  app.add_option("--products", options.products)->capture_default_str();
  app.add_option("--seed", options.seed)->capture_default_str();
  app.add_option("--illegal-per-thousand", options.illegal_per_thousand_steps)
      ->capture_default_str();
  app.add_option("--pause-ms", pause_ms, "pause between transactions")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.pause = std::chrono::milliseconds(pause_ms);

  try {
    PgSession db(dsn);
    if (setup) {
      orders::create_schema(db);
      std::printf("workload: created inventory, orders, order_items, payments\n");
      return 0;
    }
    const orders::WorkloadSummary s = orders::run_workload(db, options);
    std::fprintf(stderr,
                 "workload: %d transactions: %d orders, %d payments, %d shipments, %d deliveries, "
                 "%d cancellations (%d refunded), %d restocks, %d illegal status changes\n",
                 s.transactions, s.orders, s.payments, s.shipments, s.deliveries, s.cancellations,
                 s.refunds, s.restocks, s.illegal_transitions);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload: %s\n", e.what());
    return 1;
  }
  return 0;
}
