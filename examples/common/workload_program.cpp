#include "workload_program.hpp"

#include <cstdio>
#include <exception>
#include <string>

namespace sabot::examples {

int run_workload_program(CLI::App& app, int argc, char** argv, const WorkloadProgram& program) {
  std::string dsn;
  bool setup = false;
  app.add_option("--dsn", dsn, "libpq connection string")->envname("SABOT_DSN");
  app.add_flag("--setup", setup, "only (re-)create the example's tables");
  CLI11_PARSE(app, argc, argv);
  try {
    PgSession db(dsn);
    if (setup) {
      program.setup(db);
    } else {
      program.run(db);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace sabot::examples
