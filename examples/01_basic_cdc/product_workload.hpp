// Example 01's workload: random inserts, updates and deletes on ex01.products, a few changes per
// transaction, ending with the done message (see common/transactions.hpp).
#pragma once

#include <chrono>
#include <cstdint>

#include "pg_session.hpp"

namespace sabot::examples::basic {

// Drops and re-creates ex01.products (in the example's own schema, see example_schema.hpp) with
// REPLICA IDENTITY FULL, so every update and delete carries the whole old row (what the
// column-by-column diff needs).
void create_schema(PgSession& db);

struct WorkloadOptions {
  int transactions = 12;
  uint32_t seed = 1;
  std::chrono::milliseconds pause{0};  // between transactions, to watch them arrive live
};

struct WorkloadSummary {
  int transactions = 0;
  int inserts = 0;
  int updates = 0;
  int deletes = 0;
};

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options);

}  // namespace sabot::examples::basic
