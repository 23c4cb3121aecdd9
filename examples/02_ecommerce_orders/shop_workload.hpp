// Example 02's workload: a warehouse and a shop. It stocks products, then places orders (order,
// items and the inventory reservation in one transaction), takes payments (payment row and status
// in one transaction), ships (status and stock leaving the warehouse), delivers, cancels (status,
// released reservation and, for a paid order, the refund) and now and then restocks. A few
// deliberately illegal status changes (a delivered order set back to shipped, a cancelled one
// marked paid) show the processor's alerts. Ends with the done message.
#pragma once

#include <chrono>
#include <cstdint>

#include "pg_session.hpp"

namespace sabot::examples::orders {

// Drops and re-creates inventory, orders, order_items and payments in schema ex02 (the example's
// own, see example_schema.hpp).
void create_schema(PgSession& db);

struct WorkloadOptions {
  int orders = 300;
  int products = 12;
  uint32_t seed = 1;
  int illegal_per_thousand_steps = 5;  // chance of an illegal status change after each step
  std::chrono::milliseconds pause{0};  // between transactions
};

struct WorkloadSummary {
  int transactions = 0;
  int orders = 0;
  int payments = 0;
  int shipments = 0;
  int deliveries = 0;
  int cancellations = 0;
  int refunds = 0;
  int restocks = 0;
  int illegal_transitions = 0;
};

WorkloadSummary run_workload(PgSession& db, const WorkloadOptions& options);

}  // namespace sabot::examples::orders
