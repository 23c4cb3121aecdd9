// Example 01's workload simulator.
//   workload --setup          drop and re-create ex01.products (REPLICA IDENTITY FULL)
//   workload --cleanup        drop schema ex01
//   workload [--transactions N] [--seed S] [--pause-ms MS]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "product_workload.hpp"
#include "workload_program.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 01 workload: random changes to ex01.products");
  basic::WorkloadOptions options;
  int pause_ms = 0;
  add_random_change_flags(app, options.transactions, options.seed, pause_ms);
  WorkloadProgram program;
  program.schema = "ex01";
  program.setup = [](PgSession& db) {
    basic::create_schema(db);
    std::printf("workload: created ex01.products (REPLICA IDENTITY FULL)\n");
  };
  program.run = [&](PgSession& db) {
    options.pause = std::chrono::milliseconds(pause_ms);
    const basic::WorkloadSummary s = basic::run_workload(db, options);
    std::fprintf(stderr, "workload: %d transactions: %d inserts, %d updates, %d deletes\n",
                 s.transactions, s.inserts, s.updates, s.deletes);
  };
  return run_workload_program(app, argc, argv, program);
}
