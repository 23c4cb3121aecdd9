// Example 04's workload simulator.
//   workload --setup                     drop and re-create ex04.users and ex04.products
//   workload --cleanup                   drop schema ex04
//   workload [--transactions N] [--seed S] [--pause-ms MS]
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cache_workload.hpp"
#include "workload_program.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 04 workload: random changes to users and products");
  cache::WorkloadOptions options;
  int pause_ms = 0;
  add_random_change_flags(app, options.transactions, options.seed, pause_ms);
  WorkloadProgram program;
  program.schema = "ex04";
  program.setup = [](PgSession& db) {
    cache::create_schema(db);
    std::printf("workload: created ex04.users and ex04.products\n");
  };
  program.run = [&](PgSession& db) {
    options.pause = std::chrono::milliseconds(pause_ms);
    const cache::WorkloadSummary s = cache::run_workload(db, options);
    std::fprintf(stderr, "workload: %d transactions: %d inserts, %d updates, %d deletes\n",
                 s.transactions, s.inserts, s.updates, s.deletes);
  };
  return run_workload_program(app, argc, argv, program);
}
