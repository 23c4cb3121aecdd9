// Example 02's workload simulator.
//   workload --setup                 drop and re-create ex02.inventory, orders, order_items,
//   payments workload --cleanup               drop schema ex02 workload [--orders N] [--products N]
//   [--seed S] [--pause-ms MS]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "shop_workload.hpp"
#include "workload_program.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 02 workload: place, pay, ship, deliver and cancel orders");
  orders::WorkloadOptions options;
  int pause_ms = 0;
  app.add_option("--orders", options.orders)->capture_default_str();
  app.add_option("--products", options.products)->capture_default_str();
  app.add_option("--seed", options.seed)->capture_default_str();
  app.add_option("--pause-ms", pause_ms, "pause between transactions")->capture_default_str();
  app.add_option("--illegal-per-thousand", options.illegal_per_thousand_steps)
      ->capture_default_str();
  WorkloadProgram program;
  program.schema = "ex02";
  program.setup = [](PgSession& db) {
    orders::create_schema(db);
    std::printf("workload: created ex02.inventory, ex02.orders, ex02.order_items, ex02.payments\n");
  };
  program.run = [&](PgSession& db) {
    options.pause = std::chrono::milliseconds(pause_ms);
    const orders::WorkloadSummary s = orders::run_workload(db, options);
    std::fprintf(stderr,
                 "workload: %d transactions: %d orders, %d payments, %d shipments, %d deliveries, "
                 "%d cancellations (%d refunded), %d restocks, %d illegal status changes\n",
                 s.transactions, s.orders, s.payments, s.shipments, s.deliveries, s.cancellations,
                 s.refunds, s.restocks, s.illegal_transitions);
  };
  return run_workload_program(app, argc, argv, program);
}
