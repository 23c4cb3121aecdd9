// Test support: a mixed workload of transactions with the list of changes it committed (the SQL
// truth), and the check that a sink's output holds exactly those changes, once each, in order.
// Used by the delivery tests of every sink (file, NATS, ...).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "json_events.hpp"
#include "local_postgres.hpp"

namespace sabot::test {

struct ExpectedChange {
  std::string op;
  int64_t id;
};

// Runs transactions of mixed sizes (1, 2, 10, 100 or 1000 single-row statements) on one
// connection, so commit order is the order they are issued, and records what each one changed.
// The table must be (id bigint PRIMARY KEY, v int, pad text).
class Workload {
 public:
  Workload(const LocalPostgres& pg, std::string table, uint32_t seed);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Adds transactions until at least `changes` more row changes were committed.
  void run(size_t changes);
  const std::vector<ExpectedChange>& expected() const { return expected_; }
  // After a server restart the connection is gone: open a new one.
  void reconnect();

 private:
  void run_transaction(int size);

  PGconn* conn_;
  std::string table_;
  std::mt19937 rng_;
  int64_t next_id_ = 1;
  std::vector<int64_t> live_;
  std::vector<ExpectedChange> expected_;
};

// The row id of an event of a Workload table (the old key for a delete).
int64_t id_of(const JsonEvent& e);

// Every expected change exactly once, in order; positions strictly increasing (gtest failures).
void expect_exactly_once(const std::vector<JsonEvent>& got,
                         const std::vector<ExpectedChange>& want);

}  // namespace sabot::test
