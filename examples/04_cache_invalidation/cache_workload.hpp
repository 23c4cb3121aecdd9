// Example 04's workload: users and products are created, then changed at random — updates of a few
// columns, deletes, re-inserts of deleted ids — a few changes per transaction. Some product
// descriptions are long enough to be TOASTed, so updates that leave them alone arrive without
// them (the sink merges such a partial row into a cached one, never guesses). Ends with the done
// message.
#pragma once

#include <chrono>
#include <cstdint>

#include "pg_session.hpp"

namespace sabot::examples::cache {

// Drops and re-creates users and products in schema ex04 (the example's own, see
// example_schema.hpp).
void create_schema(PgSession& db);

struct WorkloadOptions {
  int transactions = 1500;
  uint32_t seed = 1;
  std::chrono::milliseconds pause{0};
};

struct WorkloadSummary {
  int transactions = 0;
  int inserts = 0;
  int updates = 0;
  int deletes = 0;
};

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options);

}  // namespace sabot::examples::cache
