// Example 03's workload simulator.
//   workload --setup                       drop and re-create ex03.products, orders, order_lines
//   workload --cleanup                     drop schema ex03
//   workload [--orders N] [--duration-ms MS] [--products N] [--seed S]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "analytics_workload.hpp"
#include "workload_program.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 03 workload: a catalog, then orders spread over time");
  analytics::WorkloadOptions options;
  int duration_ms = static_cast<int>(options.duration.count());
  app.add_option("--orders", options.orders)->capture_default_str();
  app.add_option("--duration-ms", duration_ms, "spread the orders over this long")
      ->capture_default_str();
  app.add_option("--products", options.products)->capture_default_str();
  app.add_option("--seed", options.seed)->capture_default_str();
  WorkloadProgram program;
  program.schema = "ex03";
  program.setup = [](PgSession& db) {
    analytics::create_schema(db);
    std::printf("workload: created ex03.products, ex03.orders, ex03.order_lines\n");
  };
  program.run = [&](PgSession& db) {
    options.duration = std::chrono::milliseconds(duration_ms);
    const analytics::WorkloadSummary s = analytics::run_workload(db, options);
    std::fprintf(stderr, "workload: %d orders with %d lines\n", s.orders, s.lines);
  };
  return run_workload_program(app, argc, argv, program);
}
