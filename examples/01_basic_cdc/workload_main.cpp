// Example 01's workload simulator.
//   workload --setup          drop and re-create public.products (REPLICA IDENTITY FULL)
//   workload [--transactions N] [--seed S] [--pause-ms MS]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "pg_session.hpp"
#include "product_workload.hpp"

using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 01 workload: random changes to public.products");
  std::string dsn;
  bool setup = false;
  basic::WorkloadOptions options;
  int pause_ms = 0;
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_flag("--setup", setup, "only (re-)create the table");
  app.add_option("--transactions", options.transactions)->capture_default_str();
  app.add_option("--seed", options.seed)->capture_default_str();
  app.add_option("--pause-ms", pause_ms, "pause between transactions")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.pause = std::chrono::milliseconds(pause_ms);

  try {
    PgSession db(dsn);
    if (setup) {
      basic::create_schema(db);
      std::printf("workload: created public.products (REPLICA IDENTITY FULL)\n");
      return 0;
    }
    const basic::WorkloadSummary s = basic::run_workload(db, options);
    std::fprintf(stderr, "workload: %d transactions: %d inserts, %d updates, %d deletes\n",
                 s.transactions, s.inserts, s.updates, s.deletes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload: %s\n", e.what());
    return 1;
  }
  return 0;
}
