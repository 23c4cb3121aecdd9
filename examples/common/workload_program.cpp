#include "workload_program.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "cli_args.hpp"
#include "example_schema.hpp"
#include "transactions.hpp"

namespace sabot::examples {

int run_workload_program(CLI::App& app, int argc, char** argv, const WorkloadProgram& program) {
  std::string dsn;
  bool setup = false;
  bool cleanup = false;
  bool check_args = false;
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_flag("--setup", setup,
               "only (re-)create the example's tables in schema " + program.schema);
  app.add_flag("--cleanup", cleanup, "only drop schema " + program.schema + " and its tables")
      ->excludes("--setup");
  add_check_args_flag(app, check_args);
  if (const auto status = parse_arguments(app, argc, argv)) return *status;
  if (check_args) return 0;
  try {
    PgSession db(dsn);
    if (setup) {
      program.setup(db);
    } else if (cleanup) {
      const bool dropped = drop_example_schema(db, program.schema);
      std::printf("workload: schema %s %s\n", program.schema.c_str(),
                  dropped ? "dropped with its tables" : "was not there");
    } else {
      program.run(db);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload: %s\n", e.what());
    return 1;
  }
  return 0;
}

void add_random_change_flags(CLI::App& app, int& transactions, uint32_t& seed, int& pause_ms) {
  app.add_option("--transactions", transactions)->capture_default_str();
  app.add_option("--seed", seed)->capture_default_str();
  app.add_option("--pause-ms", pause_ms, "pause between transactions")->capture_default_str();
}

void run_random_changes(PgSession& db, int transactions, std::chrono::milliseconds pause,
                        std::mt19937& random, const std::function<std::string()>& next_change) {
  for (int t = 0; t < transactions; ++t) {
    std::string sql = "BEGIN;";
    const int changes = std::uniform_int_distribution<int>(1, 3)(random);
    for (int c = 0; c < changes; ++c) sql += next_change();
    db.exec(sql + "COMMIT;");
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  db.exec(kDoneMessageSql);
}

}  // namespace sabot::examples
