// Example 03's workload: a product catalog (one transaction), then orders from five regions, each
// order with its lines in one transaction, spread evenly over a given duration so that commit
// times fill several windows. Ends with the done message.
#pragma once

#include <chrono>
#include <cstdint>

#include "pg_session.hpp"

namespace sabot::examples::analytics {

// Drops and re-creates products, orders and order_lines in schema ex03 (the example's own, see
// example_schema.hpp).
void create_schema(PgSession& db);

struct WorkloadOptions {
  int orders = 600;
  int products = 20;
  std::chrono::milliseconds duration{20000};  // orders are spread over this much time
  uint32_t seed = 1;
};

struct WorkloadSummary {
  int orders = 0;
  int lines = 0;
};

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options);

}  // namespace sabot::examples::analytics
